package cli

import (
	"github.com/alecthomas/kong"
)

// HelpCmd shows the help of a command, as git help does for git's own.
type HelpCmd struct {
	Command []string `arg:"" optional:"" help:"The command (and subcommand): git exp help remote setup."`
}

// Run prints the help.
func (c *HelpCmd) Run(env *Env, k *kong.Kong) error {
	if _, err := k.Parse(append(append([]string{}, c.Command...), "--help")); err != nil {
		return usagef("%s (git exp help lists the commands)", err)
	}
	return nil
}
