#!/usr/bin/env bash
# Installs git-exp from this checkout and runs the bundled example end to end in a scratch repository:
# a small sweep of examples/train, then list, show and compare. Safe to run again; touches only $GOPATH/bin,
# the man page directory below it, the shell completion files of your user (bash, and zsh/fish when installed;
# see README "Shell completion") and a fresh temporary directory.
# The first run on a fresh machine downloads the Go modules git-exp and the example need (a few minutes);
# later runs use the module cache.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

echo "==> installing git-exp"
(cd "$src" && CGO_ENABLED=0 go install ./cmd/git-exp) # static: ~1.5 ms less per command (README)
bin=$(go env GOPATH)/bin
man=$(go env GOPATH)/share/man/man1
mkdir -p "$man" && cp "$src/doc/git-exp.1" "$man/"
export PATH="$bin:$PATH" # so that `git exp` finds git-exp; see README for your shell profile

echo "==> installing shell completion (git exp <TAB>)"
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/bash-completion/completions"
git-exp completion bash >"$data/bash-completion/completions/git-exp"
echo "    bash: $data/bash-completion/completions/git-exp (loaded by git's completion on the first git exp <TAB>)"
if command -v zsh >/dev/null; then
  mkdir -p "$HOME/.zsh/completions"
  git-exp completion zsh >"$HOME/.zsh/completions/_git-exp"
  echo "    zsh:  $HOME/.zsh/completions/_git-exp (add fpath=(~/.zsh/completions \$fpath) before compinit in ~/.zshrc)"
fi
if command -v fish >/dev/null; then
  mkdir -p "${XDG_CONFIG_HOME:-$HOME/.config}/fish/conf.d"
  git-exp completion fish >"${XDG_CONFIG_HOME:-$HOME/.config}/fish/conf.d/git-exp.fish"
  echo "    fish: ${XDG_CONFIG_HOME:-$HOME/.config}/fish/conf.d/git-exp.fish"
fi

demo=$(mktemp -d "${TMPDIR:-/tmp}/git-exp-demo.XXXXXX")
echo "==> scratch repository: $demo"
cd "$demo"
git init -q
git config user.name >/dev/null || git config user.name "git-exp demo"
git config user.email >/dev/null || git config user.email "demo@example.com"
cp "$src/examples/train/main.go" "$src/examples/train/config.yaml" .
cat > go.mod <<MOD
module demo

go 1.26

require github.com/git-exp/git-exp v0.0.0

replace github.com/git-exp/git-exp => $src
MOD
cp "$src/go.sum" .
echo "==> go mod tidy (the first time on a machine, this downloads the example's modules: a few minutes)"
go mod tidy >/dev/null 2>&1 || true
git add . && git commit -qm "demo: a small training program"

echo "==> one run"
git exp run main.go --name baseline --tag demo -q
echo "==> a sweep: 2 learning rates x 2 hidden sizes, two at a time"
git exp run main.go --param 'lr=list(0.1, 0.5)' --param 'model.hidden=list(4, 16)' -j 2 --tag demo
echo "==> git exp list"
git exp list
echo "==> git exp show baseline"
git exp show baseline
if git exp help compare >/dev/null 2>&1 || git exp compare --help >/dev/null 2>&1; then
  echo "==> git exp compare --tag sweep"
  git exp compare --tag sweep
fi
echo
echo "Done. The experiments live in $demo on refs/experiments/main (git log refs/experiments/main)."
echo "Put git-exp on your PATH for daily use:  export PATH=\"$bin:\$PATH\""
