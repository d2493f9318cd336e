package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// command is one dfsopt subcommand: a job kind of the registry, run
// locally or submitted to the gateway's route for it.
type command struct {
	// kind is the job kind (its route and its decode-and-compute).
	kind *job.Kind
	// files, when set, adds flags for site files and returns the function
	// building (or completing) the request document from them; it returns
	// nil, nil when no file flag was given. Reports go to stderr.
	files func(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error)
}

// siteFiles are the site-file builders of the commands that have one.
var siteFiles = map[string]func(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error){
	job.TypeOptimize: optimizeFiles, job.TypeSimulate: simulateFiles, job.TypeContestSim: contestFiles,
	job.TypeOwnership: ownershipFiles, job.TypePortfolio: portfolioFiles, job.TypeCalibrate: calibrateFiles,
}

// commandName is the subcommand of a job type: "contest_sim" is
// "contest-sim".
func commandName(typ string) string { return strings.ReplaceAll(typ, "_", "-") }

// commands returns the subcommands by name: one per job kind of the
// registry (a local run has no services: no calibration cache).
func commands() map[string]*command {
	out := map[string]*command{}
	for _, k := range job.Standard(job.Services{}).Kinds() {
		out[commandName(k.Type)] = &command{kind: k, files: siteFiles[k.Type]}
	}
	return out
}

// local decodes, validates and computes a request document in process,
// returning the result document; validation errors are usage errors.
func (c *command) local(ctx context.Context, body []byte, progress io.Writer) ([]byte, error) {
	var ve *schema.ValidationError
	req, err := c.kind.Decode(body)
	if errors.As(err, &ve) {
		return nil, &usageError{msg: describeValidation(ve)}
	}
	if err != nil {
		return nil, err
	}
	report, done := phaseProgress(progress)
	res, err := c.kind.Run(ctx, req, report)
	done()
	if errors.As(err, &ve) {
		return nil, &usageError{msg: describeValidation(ve)}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", commandName(c.kind.Type), err)
	}
	return json.Marshal(res)
}

// phaseProgress prints progress lines "phase: done/total" on w.
func phaseProgress(w io.Writer) (func(done, total int, phase string), func()) {
	last := ""
	report := func(done, total int, phase string) {
		line := fmt.Sprintf("\r%s: %d/%d", phase, done, total)
		if line != last {
			if last != "" && phase != lastPhase(last) {
				fmt.Fprintln(w)
			}
			fmt.Fprint(w, line)
			last = line
		}
	}
	return report, func() {
		if last != "" {
			fmt.Fprintln(w)
		}
	}
}

func lastPhase(line string) string {
	for i := 1; i < len(line); i++ {
		if line[i] == ':' {
			return line[1:i]
		}
	}
	return ""
}
