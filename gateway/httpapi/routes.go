package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/dragoman-news/dragoman/gateway/chat"
)

// routes lists every route the gateway serves.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", echo.WrapHandler(s.deps.Metrics.Handler()))

	e.POST("/v1/translate", s.handleTranslate)
	e.POST("/v1/summarize", s.handleSummarize)
	e.GET("/v1/cache/stats", s.handleCacheStats)

	e.POST("/v1/articles", s.handleIngest)
	e.GET("/v1/articles", s.handleListArticles)
	e.GET("/v1/articles/:id", s.handleArticle)
	e.POST("/v1/briefings", s.handleBuildBriefing)
	e.GET("/v1/briefings/:date", s.handleBriefing)
	e.GET("/v1/deliveries", s.handleDeliveries)

	e.POST("/v1/hooks/slack", s.handleHook(chat.Slack))
	e.POST("/v1/hooks/discord", s.handleHook(chat.Discord))
	e.POST("/v1/hooks/mattermost", s.handleHook(chat.Mattermost))
	e.POST("/v1/hooks/teams", s.handleHook(chat.Teams))
	e.POST("/v1/hooks/telegram", s.handleHook(chat.Telegram))
	e.POST("/v1/hooks/generic", s.handleHook(chat.Generic))
}
