-- Every erasure request: seeds/erasure_requests.csv plus the var erasure_email_sha256s
-- (the macro erasure_requests checks each value is a SHA-256 hex digest).
{{ erasure_requests() }}
