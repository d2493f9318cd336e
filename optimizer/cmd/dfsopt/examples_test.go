package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// examplesDir is the repository's examples/ folder seen from this package.
const examplesDir = "../../../examples"

// exampleDoc returns a fresh request document of a job type (a dfsopt
// command name), nil for an unknown type.
func exampleDoc(typ string) interface{ Validate() error } {
	switch typ {
	case "optimize":
		return &schema.OptimizeRequest{}
	case "simulate":
		return &schema.SimulateRequest{}
	case "contest-sim":
		return &schema.ContestSimRequest{}
	case "ownership":
		return &schema.OwnershipRequest{}
	case "portfolio":
		return &schema.PortfolioRequest{}
	case "calibrate":
		return &schema.CalibrateRequest{}
	}
	return nil
}

// exampleType returns the command an example file name starts with.
func exampleType(name string) string {
	best := ""
	for typ := range commands() {
		if strings.HasPrefix(name, typ+"-") && len(typ) > len(best) {
			best = typ
		}
	}
	return best
}

// TestExamples decodes and validates every request document in examples/
// with the schema, then runs it locally (calibrate samples for about a
// second: skipped with -short). Every command has at least one example.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s: %v", examplesDir, err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			typ := exampleType(name)
			if typ == "" {
				t.Fatalf("%s: name does not start with a job type", name)
			}
			seen[typ] = true
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			doc := exampleDoc(typ)
			if doc == nil {
				t.Fatalf("no request type for %s", typ)
			}
			if err := schema.DecodeBytes(b, doc); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if err := doc.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if typ == "calibrate" && testing.Short() {
				t.Skip("calibrate example samples for about a second")
			}
			code, stdout, stderr := runCLI(typ, "--request", file, "--quiet")
			if code != exitOK || len(stdout) < 2 || stdout[0] != '{' {
				t.Fatalf("run: exit %d: %s", code, stderr)
			}
		})
	}
	for typ := range commands() {
		if !seen[typ] {
			t.Errorf("no example for %s in %s", typ, examplesDir)
		}
	}
}

func TestExampleType(t *testing.T) {
	for name, want := range map[string]string{
		"contest-sim-dk-nba.json": "contest-sim", "optimize-nba.json": "optimize", "calibrate-x.json": "calibrate",
		"contest.json": "", "notes.json": "",
	} {
		if got := exampleType(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
