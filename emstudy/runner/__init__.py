"""Running the study: papermill execution in stages with a cache, the run manifest, new-case scaffolding."""
