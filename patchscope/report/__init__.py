"""`patchscope report`: the HTML page, the CSV tables and the graph files of one series."""
