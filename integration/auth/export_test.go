package auth

// LimiterSize is how many entity IDs the failure limiter tracks.
func LimiterSize(s *Service) int { return s.limit.size() }

// SetLimiterMax bounds the failure limiter's table (default maxLimited).
func SetLimiterMax(s *Service, n int) { s.limit.max = n }
