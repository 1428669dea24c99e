"""Static review checks over code facts and the graph; each yields Finding values."""
