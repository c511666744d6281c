"""PynamoDB models and the functions that read and write them: the only code that speaks DynamoDB."""
