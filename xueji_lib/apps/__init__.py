"""Front ends: the xueji command, the dashboards and their catalogue, JupyterLab."""
