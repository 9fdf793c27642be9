package cli

import (
	"io"
)

// CompletionCmd prints a shell's completion script.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

// Run prints the script.
func (c *CompletionCmd) Run(env *Env) error {
	script := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}[c.Shell]
	_, err := io.WriteString(env.IO.Out, script)
	return err
}

// bashCompletion plugs into git's own completion (git-completion.bash): it calls _git_exp for "git exp", and loads
// this file by the name git-exp through bash-completion's loader, so it can live in
// ~/.local/share/bash-completion/completions/git-exp without any line in .bashrc.
const bashCompletion = `# bash completion for git exp (through git's git-completion.bash).
# Install: git exp completion bash > ~/.local/share/bash-completion/completions/git-exp
# or source it from ~/.bashrc after git's completion.
_git_exp ()
{
	local i start=1 IFS=$'\n'
	if [ -n "${__git_cmd_idx-}" ]; then
		start=$((__git_cmd_idx + 1))
	else
		for ((i = 1; i < cword; i++)); do
			if [ "${words[i]}" = exp ]; then start=$((i + 1)); break; fi
		done
	fi
	local cands
	cands=$(__git exp __complete -- "${words[@]:start:cword-start}" "$cur" 2>/dev/null)
	if [ "${cands%%$'\n'*}" = ":files" ]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	local c pre="" word="$cur" nospace="" rest=""
	case "$cur" in --*=*) pre="${cur%%=*}="; word="${cur#*=}" ;; esac
	for c in $cands; do
		c="${c#"$pre"}"
		case "$c" in
		*=) nospace="$nospace$c"$'\n' ;;
		*) rest="$rest$c"$'\n' ;;
		esac
	done
	COMPREPLY=()
	__gitcomp_nl_append "${rest%$'\n'}" "" "$word" " "
	__gitcomp_nl_append "${nospace%$'\n'}" "" "$word" ""
}
`

const zshCompletion = `#compdef git-exp
#description run scripts as tracked, reproducible experiments
# zsh completion for git exp (zsh's own _git calls _git-exp for "git exp").
# Install: git exp completion zsh > ~/.zsh/completions/_git-exp, with that directory in fpath before compinit.
_git-exp () {
	local -a cands
	local w
	cands=("${(@f)$(git exp __complete -- "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}")
	if [[ "${cands[1]}" == ":files" ]]; then
		_files
		return
	fi
	cands=(${cands:#})
	compadd -Q -S '' -- ${(M)cands:#*=}
	compadd -Q -- ${cands:#*=}
}
if [[ "$funcstack[1]" = "_git-exp" ]]; then
	_git-exp "$@"
fi
`

const fishCompletion = `# fish completion for git exp.
# Install: git exp completion fish > ~/.config/fish/conf.d/git-exp.fish
# (conf.d, not completions/: fish loads completions/ by command name, and this adds to git's.)
function __git_exp_using
	set -l tokens (commandline -opc)
	test "$tokens[1]" = git; or return 1
	set -l i 2
	while test $i -le (count $tokens)
		switch $tokens[$i]
			case -C -c --git-dir --work-tree --namespace
				set i (math $i + 2)
			case '-*'
				set i (math $i + 1)
			case '*'
				test "$tokens[$i]" = exp
				return
		end
	end
	return 1
end
function __git_exp_complete
	set -l tokens (commandline -opc)
	if test "$tokens[1]" = git-exp
		set -e tokens[1]
	else if set -l i (contains -i -- exp $tokens)
		set tokens $tokens[(math $i + 1)..-1]
	else
		set tokens
	end
	set -l out (git-exp __complete -- $tokens (commandline -ct) 2>/dev/null)
	if test "$out[1]" = ":files"
		__fish_complete_path (commandline -ct)
		return
	end
	printf '%s\n' $out
end
complete -c git -f -n __git_exp_using -a '(__git_exp_complete)'
complete -c git-exp -f -a '(__git_exp_complete)'
`
