// Command git-exp is the `git exp` subcommand: run scripts as tracked, reproducible experiments stored in git.
package main

import (
	"os"

	"github.com/git-exp/git-exp/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.SystemIO())) }
