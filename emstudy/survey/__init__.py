"""The questionnaire and its files: raw survey exports to item scores.

``schema`` (strict YAML models), ``codebook`` (the shared instrument), ``cases`` (case files), ``readers``
(CSV/XLSX/SPSS/Stata exports), ``mapping`` (a survey's headers and labels to the codebook), ``encode``
(scores, reverse keys, quality flags), ``quality``, ``privacy`` (scrubbing free text), ``open_text`` and
``simulate`` (the seeded synthetic study). Nothing here knows about notebooks, results files or reports.
"""
