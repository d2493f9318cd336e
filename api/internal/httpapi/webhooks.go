package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/requestid"
)

// WebhookSecretPath is the route of the caller's webhook signing secret.
const WebhookSecretPath = "/webhook-secret"

// registerWebhookSecret adds GET (read, created on first use) and POST
// (rotate) of the caller's webhook secret to v1. Both need jobs:write: the
// secret can sign messages, so a read-only key does not get it.
func registerWebhookSecret(v1 *gin.RouterGroup, h *handlers) {
	if h.d.WebhookSecrets == nil {
		return
	}
	v1.GET(WebhookSecretPath, require(auth.ScopeJobsWrite), h.webhookSecret)
	v1.POST(WebhookSecretPath, require(auth.ScopeJobsWrite), h.rotateWebhookSecret)
}

// webhookSecretBody is the answer of both routes.
type webhookSecretBody struct {
	Secret string `json:"secret"`
}

func (h *handlers) webhookSecret(c *gin.Context) {
	p, _ := principalOf(c)
	secret, created, err := h.d.WebhookSecrets.Secret(c.Request.Context(), p.ID)
	if err != nil {
		abort(c, err)
		return
	}
	if created {
		// A GET that changed state: audited here (the audit middleware
		// covers the other methods). Never the secret itself.
		h.d.Audit.Info("audit", zap.String("principal", p.ID), zap.String("action", "create webhook secret"),
			zap.Int("result", http.StatusOK), zap.String("request_id", requestid.From(c.Request.Context())))
	}
	c.JSON(http.StatusOK, webhookSecretBody{Secret: secret})
}

func (h *handlers) rotateWebhookSecret(c *gin.Context) {
	p, _ := principalOf(c)
	secret, err := h.d.WebhookSecrets.Rotate(c.Request.Context(), p.ID)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, webhookSecretBody{Secret: secret})
}
