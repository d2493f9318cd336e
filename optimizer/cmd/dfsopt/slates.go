package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const slatesUsage = `usage: dfsopt slates COMMAND --server URL [--api-key KEY] [flags]

Stored slates live on the gateway (Neo4j or Redis); requests name them with
"slate_id" instead of inline players.

  import    --salaries DKSalaries.csv|FanDuel.csv [--projections FILE]
            [--site --sport --mode]: stores the slate (one transaction) and
            prints the import report; its "id" is the slate_id. Importing
            the same files again gives the same id.
  outcomes  --slate ID --outcomes FILE: loads actual points (and actual
            ownership) after the games, for calibrate's source.slate_ids.
`

// runSlates runs `dfsopt slates COMMAND`: the slate store's commands, all
// against a gateway (there is no local slate store).
func runSlates(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, slatesUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub := args[0]
	fs := flag.NewFlagSet("dfsopt slates "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "gateway base URL (e.g. http://localhost:8080)")
	apiKey := fs.String("api-key", "", "API key with the slates:write scope (default $DFSOPT_API_KEY)")
	out := fs.String("out", "", "write the answer to this file instead of stdout")
	var (
		files  []formPart
		fields = map[string]*string{}
		path   string
	)
	switch sub {
	case "import":
		salaries := fs.String("salaries", "", "DraftKings or FanDuel salary CSV (required)")
		projections := fs.String("projections", "", "projections CSV (default: the site's averages)")
		for _, f := range []string{"site", "sport", "mode"} {
			fields[f] = fs.String(f, "", f+" (default: from the salary file)")
		}
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if *salaries == "" {
			fmt.Fprintln(stderr, "dfsopt slates import: --salaries is required")
			return exitUsage
		}
		files = append(files, formPart{"salaries", *salaries})
		if *projections != "" {
			files = append(files, formPart{"projections", *projections})
		}
		path = "/v1/slates"
	case "outcomes":
		id := fs.String("slate", "", "slate id (required)")
		outcomes := fs.String("outcomes", "", "results CSV: player id or name (team, position), actual points, optional actual ownership (required)")
		if err := fs.Parse(args[1:]); err != nil {
			return exitUsage
		}
		if *id == "" || *outcomes == "" {
			fmt.Fprintln(stderr, "dfsopt slates outcomes: --slate and --outcomes are required")
			return exitUsage
		}
		files = append(files, formPart{"outcomes", *outcomes})
		path = "/v1/slates/" + *id + "/outcomes"
	default:
		fmt.Fprintf(stderr, "dfsopt slates: unknown command %q\n\n%s", sub, slatesUsage)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dfsopt slates %s: unexpected arguments %q\n", sub, fs.Args())
		return exitUsage
	}
	key := *apiKey
	if key == "" {
		key = os.Getenv("DFSOPT_API_KEY")
	}
	if *server == "" || key == "" {
		fmt.Fprintf(stderr, "dfsopt slates %s: --server and --api-key (or DFSOPT_API_KEY) are required: slates are stored on the gateway\n", sub)
		return exitUsage
	}
	values := map[string]string{}
	for k, v := range fields {
		if *v != "" {
			values[k] = *v
		}
	}
	body, ctype, err := multipartBody(files, values)
	if err != nil {
		fmt.Fprintln(stderr, "dfsopt:", err)
		return exitUsage
	}
	r := &remote{base: *server, key: key, http: &http.Client{Timeout: 5 * time.Minute}}
	answer, err := r.postForm(ctx, path, body, ctype)
	if err != nil {
		fmt.Fprintln(stderr, "dfsopt:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailed
	}
	if sub == "import" {
		var res struct {
			ID      string `json:"id"`
			Created bool   `json:"created"`
			Players int    `json:"players"`
		}
		if json.Unmarshal(answer, &res) == nil && res.ID != "" {
			verb := "stored"
			if !res.Created {
				verb = "already stored"
			}
			fmt.Fprintf(stderr, "slate %s %s (%d players): use \"slate_id\": %q\n", res.ID, verb, res.Players, res.ID)
		}
	}
	if err := writeResult(*out, stdout, indent(answer)); err != nil {
		fmt.Fprintln(stderr, "dfsopt:", err)
		return exitFailed
	}
	return exitOK
}

// formPart is a file field of a multipart form.
type formPart struct{ field, path string }

// multipartBody builds a multipart/form-data body from files and values.
func multipartBody(files []formPart, values map[string]string) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, "", fmt.Errorf("read --%s: %w", f.field, err)
		}
		part, err := w.CreateFormFile(f.field, filepath.Base(f.path))
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(b); err != nil {
			return nil, "", err
		}
	}
	for k, v := range values {
		if err := w.WriteField(k, v); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// postForm posts a multipart body and returns the 2xx answer; other
// answers are errors built from the error body (see remote.do).
func (r *remote) postForm(ctx context.Context, path string, body []byte, ctype string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(r.base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("X-API-Key", r.key)
	req.Header.Set("Content-Type", ctype)
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: read answer: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, answerError(http.MethodPost, path, resp.StatusCode, b)
	}
	return b, nil
}

// answerError builds the error of a non-2xx answer from its error body:
// 400 and 422 are usage errors (the files or flags are at fault).
func answerError(method, path string, status int, body []byte) error {
	var e apiError
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return fmt.Errorf("%s %s: HTTP %d", method, path, status)
	}
	msg := fmt.Sprintf("%s %s: HTTP %d %s: %s", method, path, status, e.Error.Code, e.Error.Message)
	for _, d := range e.Error.Details {
		msg += fmt.Sprintf("\n  %s: %s", d.Field, d.Reason)
	}
	if e.Error.RequestID != "" {
		msg += "\n  (request id " + e.Error.RequestID + ")"
	}
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
		return &usageError{msg: msg}
	}
	return errors.New(msg)
}
