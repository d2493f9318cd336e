package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// resultCSV answers an optimize result as the site's upload CSV
// (GET /v1/jobs/{id}/result?format=csv).
func (h *handlers) resultCSV(c *gin.Context, p auth.Principal, result []byte) {
	j, err := h.d.Jobs.Get(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	if j.Type != task.TypeOptimize {
		abort(c, &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "format=csv applies to optimize results only",
			details: []ErrorDetail{{Field: "format", Reason: "invalid"}}})
		return
	}
	var res schema.OptimizeResult
	if err := json.Unmarshal(result, &res); err != nil {
		abort(c, err)
		return
	}
	site, err1 := slate.ParseSite(res.Site)
	sport, err2 := slate.ParseSport(res.Sport)
	mode, err3 := slate.ParseMode(res.Mode)
	var rules *slate.Rules
	if err1 == nil && err2 == nil && err3 == nil {
		rules, err = slate.RulesFor(site, sport, mode)
	}
	if rules == nil || err != nil {
		abort(c, &httpError{status: http.StatusConflict, code: CodeConflict,
			message: "this result does not name its site, sport and mode; fetch it as JSON",
			details: []ErrorDetail{{Field: "format", Reason: "invalid"}}})
		return
	}
	var b bytes.Buffer
	if err := sitecsv.WriteUpload(&b, rules, res.Lineups); err != nil {
		abort(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+j.ID+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
