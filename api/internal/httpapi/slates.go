package httpapi

import (
	"errors"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// multipartMemory is how much of a multipart body is kept in memory; the
// rest goes to temporary files (the body limit bounds the whole).
const multipartMemory = 8 << 20

// slateHandlers serve /v1/slates.
type slateHandlers struct{ st slatestore.Store }

// registerSlates adds the slate routes to the authenticated /v1 group.
func registerSlates(v1 *gin.RouterGroup, st slatestore.Store) {
	if st == nil {
		return
	}
	h := slateHandlers{st: st}
	v1.POST("/slates", require(auth.ScopeSlatesWrite), h.importSlate)
	v1.GET("/slates", require(auth.ScopeJobsRead), h.list)
	v1.GET("/slates/:id", require(auth.ScopeJobsRead), h.get)
	v1.POST("/slates/:id/outcomes", require(auth.ScopeSlatesWrite), h.importOutcomes)
}

// importSlate stores a slate from a multipart form: the file "salaries"
// (DraftKings or FanDuel), the optional file "projections", and the
// optional fields site, sport and mode. 201 with the import report when
// stored, 200 when the same slate was already there.
func (h slateHandlers) importSlate(c *gin.Context) {
	form, err := multipartForm(c)
	if err != nil {
		abort(c, err)
		return
	}
	salaries, _, err := formFile(form, "salaries", true)
	if err != nil {
		abort(c, err)
		return
	}
	defer salaries.Close()
	projections, pname, err := formFile(form, "projections", false)
	if err != nil {
		abort(c, err)
		return
	}
	req := slatestore.ImportRequest{Salaries: salaries, ProjectionSource: pname,
		Site: formValue(form, "site"), Sport: formValue(form, "sport"), Mode: formValue(form, "mode")}
	if projections != nil {
		defer projections.Close()
		req.Projections = projections
	}
	res, err := slatestore.Import(c.Request.Context(), h.st, req)
	if err != nil {
		abortSlate(c, err)
		return
	}
	status := http.StatusCreated
	if !res.Created {
		status = http.StatusOK
	}
	c.Header("Location", "/v1/slates/"+res.ID)
	c.JSON(status, res)
}

// get answers a stored slate: site, sport, mode, lock time, game starts,
// projection source and players.
func (h slateHandlers) get(c *gin.Context) {
	s, err := h.st.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		abortSlate(c, err)
		return
	}
	c.JSON(http.StatusOK, s)
}

// list answers the stored slates' summaries, latest lock first; the query
// may filter by site and sport and cap the count (limit, 1..1000).
func (h slateHandlers) list(c *gin.Context) {
	var opts slatestore.ListOptions
	var fes []schema.FieldError
	if v := c.Query("site"); v != "" {
		s, err := slate.ParseSite(v)
		if err != nil {
			fes = append(fes, schema.FieldError{Field: "site", Reason: schema.ReasonInvalid, Message: err.Error()})
		}
		opts.Site = s
	}
	if v := c.Query("sport"); v != "" {
		s, err := slate.ParseSport(v)
		if err != nil {
			fes = append(fes, schema.FieldError{Field: "sport", Reason: schema.ReasonInvalid, Message: err.Error()})
		}
		opts.Sport = s
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fes = append(fes, schema.FieldError{Field: "limit", Reason: schema.ReasonOutOfRange, Message: "limit must be between 1 and 1000"})
		}
		opts.Limit = n
	}
	if len(fes) > 0 {
		abort(c, &schema.ValidationError{Errors: fes})
		return
	}
	sums, err := h.st.List(c.Request.Context(), opts)
	if err != nil {
		abortSlate(c, err)
		return
	}
	if sums == nil {
		sums = []slatestore.Summary{} // a store may answer nil for none: the spec says an array
	}
	c.JSON(http.StatusOK, slateList{Slates: sums})
}

// slateList is the answer of GET /v1/slates (SlateList in the spec).
type slateList struct {
	Slates []slatestore.Summary `json:"slates"`
}

// importOutcomes loads a stored slate's outcomes from the multipart file
// "outcomes" (actual points, optional actual ownership), after the games.
func (h slateHandlers) importOutcomes(c *gin.Context) {
	form, err := multipartForm(c)
	if err != nil {
		abort(c, err)
		return
	}
	f, _, err := formFile(form, "outcomes", true)
	if err != nil {
		abort(c, err)
		return
	}
	defer f.Close()
	res, err := slatestore.ImportOutcomes(c.Request.Context(), h.st, c.Param("id"), f)
	if err != nil {
		abortSlate(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// multipartForm parses the request's multipart form.
func multipartForm(c *gin.Context) (*multipart.Form, error) {
	ct := c.ContentType()
	if ct != "multipart/form-data" {
		return nil, errStatus(http.StatusUnsupportedMediaType, CodeInvalidRequest,
			"the body must be multipart/form-data (files: salaries, projections)")
	}
	if err := c.Request.ParseMultipartForm(multipartMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, bodyError(err)
		}
		return nil, errStatus(http.StatusBadRequest, CodeInvalidRequest, "cannot read the multipart form: "+err.Error())
	}
	return c.Request.MultipartForm, nil
}

// formFile opens the form's file field (nil when absent and optional) and
// returns its file name.
func formFile(form *multipart.Form, field string, required bool) (multipart.File, string, error) {
	fhs := form.File[field]
	if len(fhs) == 0 {
		if required {
			return nil, "", &schema.ValidationError{Errors: []schema.FieldError{{Field: field, Reason: schema.ReasonRequired,
				Message: "the file " + field + " is required"}}}
		}
		return nil, "", nil
	}
	f, err := fhs[0].Open()
	if err != nil {
		return nil, "", errStatus(http.StatusBadRequest, CodeInvalidRequest, "cannot read the file "+field)
	}
	return f, baseName(fhs[0].Filename), nil
}

func formValue(form *multipart.Form, field string) string {
	if v := form.Value[field]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// baseName keeps the last element of a client's file name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return name
}

// abortSlate answers a slate store error, logging the cause of a 503 (the
// error body does not carry it).
func abortSlate(c *gin.Context, err error) {
	if errors.Is(err, slatestore.ErrUnavailable) {
		logging.From(c.Request.Context()).Warn("slate store unavailable", zap.Error(err))
	}
	abort(c, slateError(err))
}

// slateError maps slate store errors: unavailable 503, unknown slate 404,
// a file that cannot be imported 422 naming its form field.
func slateError(err error) error {
	var ie *slatestore.ImportError
	switch {
	case errors.Is(err, slatestore.ErrUnavailable):
		return errStatus(http.StatusServiceUnavailable, CodeUnavailable, "the slate store is unavailable; try again")
	case errors.Is(err, slatestore.ErrNotFound):
		return errStatus(http.StatusNotFound, CodeNotFound, "slate not found")
	case errors.As(err, &ie):
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: ie.Field, Reason: schema.ReasonInvalid, Message: ie.Error()}}}
	case errors.Is(err, slatestore.ErrInvalid):
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: "outcomes", Reason: schema.ReasonInvalid, Message: err.Error()}}}
	}
	return err
}
