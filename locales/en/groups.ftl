# groups
