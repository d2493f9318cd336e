package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/dfsopt/dfsopt/pkg/auth"
)

// tokenRequest is the body of POST /v1/auth/token: an API key, or a
// user's name and password.
type tokenRequest struct {
	APIKey   string `json:"api_key,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// tokenResponse is the answer of POST /v1/auth/token.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token exchanges an API key or a user's password for a short-lived HS256
// token carrying the principal's scopes.
func (h *handlers) token(c *gin.Context) {
	if h.d.Tokens == nil || !h.d.Tokens.CanIssue() {
		abort(c, errStatus(http.StatusNotFound, CodeNotFound, "this gateway issues no tokens (DFSOPT_JWT_SECRET is unset)"))
		return
	}
	var req tokenRequest
	if err := decodeStrict(c, &req); err != nil {
		abort(c, err)
		return
	}
	var p auth.Principal
	var err error
	switch {
	case req.APIKey != "" && (req.Username != "" || req.Password != ""):
		err = &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "send either api_key or username and password", details: []ErrorDetail{{Field: "api_key", Reason: "conflict"}}}
	case req.APIKey != "":
		p, err = h.d.Auth.Authenticate(c.Request.Context(), req.APIKey)
	case req.Username != "" && req.Password != "" && h.d.Users != nil:
		p, err = h.d.Users.Authenticate(c.Request.Context(), req.Username, req.Password)
	case req.Username != "" && req.Password != "":
		err = auth.ErrUnauthenticated
	default:
		err = &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "api_key, or username and password, are required", details: []ErrorDetail{{Field: "api_key", Reason: "required"}}}
	}
	if err != nil {
		abort(c, err)
		return
	}
	c.Set(principalKey, p) // for the audit line
	tok, _, err := h.d.Tokens.Issue(p)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, tokenResponse{
		AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(h.d.Tokens.TTL().Seconds()), Scope: strings.Join(p.Scopes, " "),
	})
}

// checkScopes answers 422 naming the first unknown scope.
func checkScopes(scopes []string) error {
	for i, s := range scopes {
		if !auth.KnownScope(s) {
			return &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
				message: "unknown scope " + strconv.Quote(s) + " (want one of " + strings.Join(auth.AllScopes(), ", ") + ")",
				details: []ErrorDetail{{Field: "scopes[" + strconv.Itoa(i) + "]", Reason: "invalid"}}}
		}
	}
	return nil
}

// createUserRequest is the body of POST /v1/admin/users.
type createUserRequest struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Scopes   []string `json:"scopes,omitempty"`
}

func (h *handlers) createUser(c *gin.Context) {
	var req createUserRequest
	if err := decodeStrict(c, &req); err != nil {
		abort(c, err)
		return
	}
	if !auth.ValidUserName(req.Username) {
		abort(c, &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
			message: "username must be 1-64 lower-case letters, digits or ._@-", details: []ErrorDetail{{Field: "username", Reason: "invalid"}}})
		return
	}
	if n := len(req.Password); n < auth.MinPasswordLen || n > auth.MaxPasswordLen {
		abort(c, &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
			message: "password must have " + strconv.Itoa(auth.MinPasswordLen) + " to " + strconv.Itoa(auth.MaxPasswordLen) + " bytes",
			details: []ErrorDetail{{Field: "password", Reason: "out_of_range"}}})
		return
	}
	if err := checkScopes(req.Scopes); err != nil {
		abort(c, err)
		return
	}
	u, err := h.d.Users.Create(c.Request.Context(), req.Username, req.Password, req.Scopes)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

func (h *handlers) listUsers(c *gin.Context) {
	us, err := h.d.Users.List(c.Request.Context())
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, userList{Users: us})
}

// userList is the answer of GET /v1/admin/users (UserList in the spec).
type userList struct {
	Users []auth.User `json:"users"`
}

func (h *handlers) deleteUser(c *gin.Context) {
	if err := h.d.Users.Delete(c.Request.Context(), c.Param("username")); err != nil {
		abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
