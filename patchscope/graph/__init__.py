"""The networkx graph of what a series touches, its queries and exports."""
