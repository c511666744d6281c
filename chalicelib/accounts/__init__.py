"""The staff's accounts in the Cognito user pool (users, roles, sign-outs) and the invitation letter.

An effect, like store/ and channels/: the use case `usecases/staff.py` decides, these modules call AWS."""
