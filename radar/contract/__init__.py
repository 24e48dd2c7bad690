"""The input contract (v1) as code: files, columns, value sets and the versioned stage schemas."""
