package httpapi

import "github.com/labstack/echo/v4"

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
}
