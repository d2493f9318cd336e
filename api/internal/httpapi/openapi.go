package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPISpec is the gateway's OpenAPI 3.1 document, hand-written to match
// the routes of New and the documents of optimizer/schema (the tests check
// that its paths and the engine's routes agree).
//
//go:embed openapi.json
var openAPISpec []byte

// serveOpenAPI answers GET /openapi.json (no auth, like /health).
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPISpec)
}
