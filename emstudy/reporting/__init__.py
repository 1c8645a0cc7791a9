"""Reports for readers: the document model, renderers (Markdown, self-contained HTML), pages, figures, tables.

``document`` (Report, Section, Table, FigureRef), ``render`` (Markdown/HTML, atomic writes), ``pages`` (the
case and summary reports in English and Chinese), ``figures`` (every figure, saved byte-stably) and
``tables`` (APA-style tables).
"""
