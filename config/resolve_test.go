package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolvePrecedence(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"config.yaml":           "model: {h: 256, l: 4}\nlr: 0.1\nname: default\nseed: 1\n",
		"configs/small.yaml":    "imports: base-opt.yaml\nmodel.h: 64\n", // dotted: keeps model.l from config.yaml
		"configs/base-opt.yaml": "opt: {name: adam}\n",
		"configs/fast.yaml":     "lr: 0.5\nname: fast\n",
	})
	outside := writeFiles(t, map[string]string{"extra.yaml": "extra: true\n"})
	env := []string{"PATH=/bin", "GIT_EXP_PARAM_name=env", "GIT_EXP_PARAM_model__l=6", "GIT_EXP_PARAM_seed=2"}
	params := []string{"seed=3", "model.act=relu", "seed=4"}
	chdir(t, root)
	tree, sources, err := Resolve(root, filepath.Join(root, "config.yaml"),
		[]string{"configs/small.yaml", filepath.Join(root, "configs", "fast.yaml"), filepath.Join(outside, "extra.yaml")},
		env, params)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"model": map[string]any{"h": 64, "l": 6, "act": "relu"},
		"opt":   map[string]any{"name": "adam"},
		"lr":    0.5,
		"name":  "env",
		"seed":  4,
		"extra": true,
	}
	if !reflect.DeepEqual(tree, want) {
		t.Errorf("tree = %#v\nwant %#v", tree, want)
	}
	wantSources := []Source{
		{Kind: KindDefaultConfig, Path: "config.yaml"},
		{Kind: KindConfig, Path: "configs/small.yaml"},
		{Kind: KindConfig, Path: "configs/fast.yaml"},
		{Kind: KindConfig, Path: filepath.ToSlash(filepath.Join(outside, "extra.yaml"))},
		{Kind: KindEnv, Keys: []string{"model.l", "name", "seed"}},
		{Kind: KindParam, Keys: []string{"seed", "model.act"}},
	}
	if !reflect.DeepEqual(sources, wantSources) {
		t.Errorf("sources = %#v\nwant %#v", sources, wantSources)
	}
}

func TestResolveWithoutLayers(t *testing.T) {
	root := t.TempDir()
	tree, sources, err := Resolve(root, filepath.Join(root, "config.yaml"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 0 || len(sources) != 0 {
		t.Errorf("Resolve with nothing = %v, %v", tree, sources)
	}
	tree, sources, err = Resolve(root, "", nil, nil, []string{"a=1"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tree, map[string]any{"a": 1}) || len(sources) != 1 {
		t.Errorf("Resolve = %v, %v", tree, sources)
	}
}

func TestResolveErrors(t *testing.T) {
	root := writeFiles(t, map[string]string{
		"config.yaml": "model: 3\n",
		"bad.yaml":    "a: [\n",
	})
	rootConfig := filepath.Join(root, "config.yaml")
	tests := []struct {
		name    string
		configs []string
		env     []string
		params  []string
		want    string
	}{
		{"param through scalar", nil, nil, []string{"model.lr=1"},
			`--param model.lr=1: cannot set "model.lr": "model" is an int (3), not a map`},
		{"malformed param", nil, nil, []string{"lr"}, `malformed --param "lr": expected KEY=VALUE, e.g. --param lr=0.01`},
		{"env through scalar", nil, []string{"GIT_EXP_PARAM_model__lr=1"}, nil,
			`GIT_EXP_PARAM_model__lr: cannot set "model.lr": "model" is an int (3), not a map`},
		{"invalid env name", nil, []string{"GIT_EXP_PARAM_a____b=1"}, nil,
			"GIT_EXP_PARAM_a____b: not a valid parameter name; write GIT_EXP_PARAM_model__lr for model.lr"},
		{"missing --config", []string{filepath.Join(root, "nope.yaml")}, nil, nil, filepath.Join(root, "nope.yaml") + ": file not found"},
		{"malformed --config", []string{filepath.Join(root, "bad.yaml")}, nil, nil, filepath.Join(root, "bad.yaml") + ":2:1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Resolve(root, rootConfig, tt.configs, tt.env, tt.params)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}
