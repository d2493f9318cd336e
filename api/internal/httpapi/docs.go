package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// docsPage is the /docs page: Redoc rendering /openapi.json, loaded from
// the vendored bundle (no CDN, no inline script).
//
//go:embed docs/index.html
var docsPage []byte

// redocScript is Redoc's standalone bundle (docs/README.md says which
// version and how to upgrade it).
//
//go:embed docs/redoc.standalone.js
var redocScript []byte

// docsScriptPath is where the page loads the bundle from.
const docsScriptPath = "/docs/redoc.standalone.js"

// docsCSP is the Content-Security-Policy of the /docs page and its script,
// looser than the API's "default-src 'none'" only where Redoc needs it:
// its own script and the spec from this origin, inline styles
// (styled-components), a search web worker created from a blob: URL, and
// data: images and fonts.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"worker-src blob:; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// serveDocs answers GET /docs (no auth, like /openapi.json).
func serveDocs(c *gin.Context) {
	c.Header("Content-Security-Policy", docsCSP)
	c.Data(http.StatusOK, "text/html; charset=utf-8", docsPage)
}

// serveDocsScript answers GET /docs/redoc.standalone.js.
func serveDocsScript(c *gin.Context) {
	c.Header("Content-Security-Policy", docsCSP)
	c.Header("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", redocScript)
}
