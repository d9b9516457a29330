"""The settlement documents handed in with a monthly statement (结算资料): which kinds a program asks for, whether a
file is what it says it is, and which kinds are still missing. Pure."""
