"""Infrastructure as code: the CloudFormation resources merged into `chalice package`'s template."""
