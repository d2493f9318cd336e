// Package api holds the gateway's OpenAPI document (openapi.yaml, beside
// this file), embedded in the binaries that serve or check it.
package api

import _ "embed"

// OpenAPIYAML is the OpenAPI 3.1 document of the gateway, as written.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte
