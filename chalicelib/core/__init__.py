"""The rules, in pure Python: no boto3, no PynamoDB, no clock reads (callers pass the time in)."""
