"""Planning: forecast, burn-down, FTE needed, what-if, and policy simulation."""
