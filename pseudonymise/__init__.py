"""Pseudonymise stage: keyed tokens and encodings for identifiers, redacted notes.

Plaintext identifiers end here: what this stage writes holds no name, BSN, birth date, address,
phone number or e-mail address in the clear.
"""
