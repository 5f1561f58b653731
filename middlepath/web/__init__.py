"""The shell of the staff UI: base layout, navigation, dashboard, error pages, stylesheet."""
