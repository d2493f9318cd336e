// Command dfsopt runs dfsopt requests from the command line.
//
//	dfsopt optimize --request req.json                      # compute locally
//	dfsopt optimize --request req.json --server URL --api-key KEY
//	dfsopt optimize --salaries DKSalaries.csv --projections proj.csv --lineups 150 --min-unique 3 --format dk-csv
//	dfsopt simulate|contest-sim|ownership|portfolio --request req.json [--server URL --api-key KEY]
//	dfsopt simulate|ownership --salaries DKSalaries.csv --projections p.csv
//	dfsopt contest-sim|portfolio --salaries DKSalaries.csv --projections p.csv --entries DKEntries.csv --payouts payouts.csv
//	dfsopt COMMAND ... --emit-request                      # print the request document, compute nothing
//	dfsopt calibrate --rows history.csv [--sport nfl --seed N --chains 4 --draws 1000] [--server URL --api-key KEY]
//	dfsopt slates import --salaries DKSalaries.csv [--projections p.csv] --server URL --api-key KEY
//
// Locally it validates the request document, runs the optimizer and prints
// the result document on stdout. With --server it submits the same document
// to a dfsopt gateway, shows the job's progress on stderr (a bar redrawn
// in place on a terminal), and prints the result document the API returns
// (or, with --format, its upload CSV). Ctrl-C cancels (the remote job too).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: dfsopt COMMAND (--request FILE | site files) [--server URL --api-key KEY] [flags]

Commands: optimize, simulate, contest-sim, ownership, portfolio, calibrate;
slates (import a slate into the gateway's store: dfsopt slates help).

Runs a request document of the command's job type (JSON; "-" reads stdin)
and prints the result document on stdout. Without --server it computes
locally; with it, it submits the request to a dfsopt gateway and waits for
the result. --emit-request prints the request document instead (pretty
JSON) and exits without computing. Example requests: examples/.

Every command but calibrate also builds its request from site files
(with --request too, the files replace the matching parts of the document):
  --salaries DKSalaries.csv|FanDuel.csv [--projections FILE]
  [--site --sport --mode] [--drop-status OUT,IR] [--drop-unprojected]
  [--allow-unprojected] [--fill-site-avg]
--drop-status drops no one by default in contest-sim and portfolio (your
entries may hold any player). Unmatched projection rows are listed on stderr. A projections file that
covers under 90% of the optimal-value range (per roster slot group, the
slots x teams most expensive players: the slate's starters) is refused
(exit 2) unless --allow-unprojected. Without --projections the site's
AvgPointsPerGame (FanDuel: FPPG) are the projections, said on stderr.

  optimize     [--lineups N --min-unique K] [--format csv|dk-csv|fd-csv]
               (with --server: the gateway's upload CSV, of the request's site)
  simulate     [--sims N --seed N --sim-optimal]
  ownership    [--contest-type gpp|cash]
  contest-sim  --entries DKEntries.csv --payouts payouts.csv
               (Place,Payout,Field Size,Entry Fee) [--field-size N --sims N --seed N]
  portfolio    as contest-sim; the entries are candidates and their number
               the lineups to choose [--lineups N --candidates N (generated)]
  calibrate    --rows history.csv (or .json) [--sport nfl --site S --seed N
               --chains 4 --draws 1000 --warmup 1000]; a fit that did not
               converge (R-hat > 1.01 or ESS < 400) is an error naming the
               failing parameters.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	switch args[0] {
	case "keys":
		return runKeys(ctx, args[1:], stdout, stderr)
	case "slates":
		return runSlates(ctx, args[1:], stdout, stderr)
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "dfsopt: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	name := "dfsopt " + args[0]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	reqPath := fs.String("request", "", "request document (JSON file, or - for stdin)")
	server := fs.String("server", "", "gateway base URL (e.g. http://localhost:8080); empty computes locally")
	apiKey := fs.String("api-key", "", "API key for --server (default $DFSOPT_API_KEY)")
	out := fs.String("out", "", "write the result document to this file instead of stdout")
	pretty := fs.Bool("pretty", false, "indent the result document")
	poll := fs.Duration("poll", 500*time.Millisecond, "how often to poll the job status with --server")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	format := fs.String("format", "json", "optimize output: json, or the site upload CSV (csv, dk-csv, fd-csv)")
	emit := fs.Bool("emit-request", false, "print the request document built from the flags and files (pretty JSON) and exit without computing")
	var fromFiles func([]byte) ([]byte, error)
	if cmd.files != nil {
		fromFiles = cmd.files(fs, stderr)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	var body []byte
	var err error
	if *reqPath != "" {
		if body, err = readRequest(*reqPath); err != nil {
			fmt.Fprintln(stderr, "dfsopt:", err)
			return exitUsage
		}
	}
	if fromFiles != nil {
		built, err := fromFiles(body)
		if err != nil {
			fmt.Fprintln(stderr, "dfsopt:", err)
			return exitUsage
		}
		if built != nil {
			body = built
		}
	}
	if body == nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, name+": --request FILE is required, or site files (--salaries ...; see dfsopt help), and no other arguments")
		return exitUsage
	}
	if *emit {
		if err := writeResult(*out, stdout, indent(body)); err != nil {
			fmt.Fprintln(stderr, "dfsopt:", err)
			return exitFailed
		}
		return exitOK
	}
	progress := stderr
	if *quiet {
		progress = io.Discard
	}
	var result []byte
	if *server == "" {
		result, err = cmd.local(ctx, body, progress)
	} else {
		key := *apiKey
		if key == "" {
			key = os.Getenv("DFSOPT_API_KEY")
		}
		if key == "" {
			fmt.Fprintln(stderr, name+": --api-key (or DFSOPT_API_KEY) is required with --server")
			return exitUsage
		}
		// --format downloads the gateway's upload CSV (GET
		// /v1/jobs/{id}/result?format=csv), for the request's site.
		query := ""
		if *format != "json" {
			if err := remoteCSVFormat(args[0], body, *format); err != nil {
				fmt.Fprintln(stderr, name+":", err)
				return exitUsage
			}
			query = "?format=csv"
		}
		c := &remote{base: *server, key: key, http: &http.Client{Timeout: 60 * time.Second}, poll: *poll,
			progress: progress, tty: isTerminal(progress)}
		result, err = c.submit(ctx, cmd.kind.Path, body, query)
		if err == nil && query != "" {
			csv := bytes.TrimRight(result, "\n")
			if err := writeResult(*out, stdout, csv); err != nil {
				fmt.Fprintln(stderr, "dfsopt:", err)
				return exitFailed
			}
			return exitOK
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "dfsopt:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailed
	}
	if *format != "json" {
		if args[0] != "optimize" {
			fmt.Fprintln(stderr, name+": --format applies to optimize only")
			return exitUsage
		}
		if result, err = uploadCSV(body, result, *format); err != nil {
			fmt.Fprintln(stderr, "dfsopt:", err)
			return exitUsage
		}
	} else if *pretty {
		result = indent(result)
	}
	if err := writeResult(*out, stdout, result); err != nil {
		fmt.Fprintln(stderr, "dfsopt:", err)
		return exitFailed
	}
	return exitOK
}

// usageError is a problem with the request document itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func readRequest(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	return b, nil
}

func writeResult(path string, stdout io.Writer, b []byte) error {
	b = append(b, '\n')
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}
