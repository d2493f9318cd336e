package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

const keysUsage = `usage: dfsopt keys create --name NAME [--owner WHO] [--scopes jobs:read,jobs:write] --server URL --api-key ADMIN_KEY
       dfsopt keys list   --server URL --api-key ADMIN_KEY
       dfsopt keys revoke --server URL --api-key ADMIN_KEY KEY_ID

Manages the API keys of a gateway (needs a key or token with scope admin;
--api-key defaults to $DFSOPT_API_KEY). create prints the new key once, in
JSON: store it now, the gateway keeps only its hash. Scopes: jobs:read,
jobs:write, jobs:critical, calibrate, slates:write, admin.
`

// runKeys runs "dfsopt keys create|list|revoke" against a gateway's
// /v1/admin/api-keys.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, keysUsage)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("dfsopt keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "gateway base URL (e.g. http://localhost:8080)")
	apiKey := fs.String("api-key", "", "admin API key (default $DFSOPT_API_KEY)")
	name := fs.String("name", "", "create: the key's name")
	owner := fs.String("owner", "", "create: who the key is for")
	scopes := fs.String("scopes", "", "create: comma-separated scopes (default jobs:read,jobs:write)")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	key := *apiKey
	if key == "" {
		key = os.Getenv("DFSOPT_API_KEY")
	}
	if *server == "" || key == "" {
		fmt.Fprint(stderr, "dfsopt keys: --server and --api-key (or DFSOPT_API_KEY) are required\n\n"+keysUsage)
		return exitUsage
	}
	r := &remote{base: *server, key: key, http: &http.Client{Timeout: 30 * time.Second}}
	var out []byte
	var err error
	switch {
	case sub == "create" && fs.NArg() == 0 && *name != "":
		req := map[string]any{"name": *name}
		if *owner != "" {
			req["owner"] = *owner
		}
		if *scopes != "" {
			req["scopes"] = strings.Split(*scopes, ",")
		}
		body, _ := json.Marshal(req)
		out, err = r.do(ctx, http.MethodPost, "/v1/admin/api-keys", body, nil)
	case sub == "list" && fs.NArg() == 0:
		out, err = r.do(ctx, http.MethodGet, "/v1/admin/api-keys", nil, nil)
	case sub == "revoke" && fs.NArg() == 1:
		out, err = r.do(ctx, http.MethodDelete, "/v1/admin/api-keys/"+fs.Arg(0), nil, nil)
	default:
		fmt.Fprint(stderr, keysUsage)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "dfsopt keys:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(out)))
	return exitOK
}
