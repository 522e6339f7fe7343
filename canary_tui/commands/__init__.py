"""One module per CLI command: `add_parser(subparsers) -> list[str]` registers it, `args.run(args) -> int` runs it."""
