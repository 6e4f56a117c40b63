"""Advanced query (高级查询), statistics (统计) and the My Desk attention panel."""
