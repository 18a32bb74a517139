"""stub"""
NAME = "summary"
HELP = "stub"
def add_arguments(parser):
    pass
def run(args):
    return 0
