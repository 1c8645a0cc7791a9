"""The fixed words of the study's reports (:mod:`emstudy.reporting.pages`), in English and Chinese: headings,
table captions and column names, and the sentence templates that summarise a table instead of repeating it
row by row."""

from __future__ import annotations

__all__ = ["TEXT"]

TEXT: dict[str, dict] = {
    "en": {
        "case_title": "Emergency management in {name}: findings and recommendations",
        "summary_title": "{n} places compared: local emergency management in China",
        "banner_source": "This report reconstructs the case studied in the thesis whose abstract is {abstract} "
        "({framework}), measured with emstudy's shared instrument.",
        "banner_own": "This report analyses the survey of {name}, mapped onto emstudy's shared instrument and read "
        "through the case's own framework ({framework}).",
        "banner_own_source": "Source: {source}.",
        "the_case": "The case",
        "quality": "Data and quality",
        "reliability": "Reliability and validity",
        "structure": "Factor structure",
        "profile": "Construct profile",
        "priorities": "Priorities and drivers",
        "paths": "The framework's path model",
        "comparison": "Compared with the other places",
        "recommendations": "Recommendations",
        "not_run": "The {step} step has not been run for this case, so it is not reported.",
        "framework_table": "Framework dimensions and the constructs they map onto",
        "dimension": "dimension",
        "constructs": "constructs",
        "construct": "construct",
        "mean": "mean",
        "ci_lower": "95% CI low",
        "ci_upper": "95% CI high",
        "n": "n",
        "profile_caption": "Construct means with 95% confidence intervals (1 = strongly disagree, 5 = strongly agree)",
        "means_caption": "Construct means",
        "rec_line": "{rank}. [{dimension}] {text}{thesis}",
        "thesis_mark": " (also recommended by the thesis)",
        "no_priority": "No construct is rated clearly below this place's average.",
        "problems": "Problems the thesis reports: {problems}",
        "problems_own": "Problems the study reports: {problems}",
        "own_constructs": "Besides the shared instrument, this survey asked questions of its own: {constructs}. "
        "They are analysed in this case's reliability, structure and drivers, and left out of the comparison "
        "of places, which uses the shared constructs only.",
        "own_construct": "{label} ({n} items)",
        "own_recs_thesis": "Recommendations of the thesis",
        "own_recs_case": "Recommendations of the case study",
        "own_rec_line": "{rank}. {text} (constructs: {constructs}{priority})",
        "own_rec_priority": "; a priority in this survey: {constructs}",
        "sources": "Sources: {files}",
        "cases": "The cases",
        "shared": "Shared and particular weaknesses",
        "invariance": "Measurement invariance",
        "case": "case",
        "framework": "framework",
        "n_valid": "questionnaires analysed",
        "top": "top priorities",
        "pattern": "pattern",
        "patterns": {"shared": "shared", "particular": "particular"},
        "cases_col": "cases",
        "heatmap_caption": "Construct means by place",
        "profiles_caption": "Construct profiles of the {n} places",
        "rel_caption": "Reliability by construct (alpha with Feldt 95% CI, omega total; ordinal alpha and ordinal "
        "omega total, from polychoric correlations, of the latent responses behind the five categories)",
        "ipa_caption": "Importance-performance map: importance is the standardized weight of a construct for "
        "perceived effectiveness, performance its mean (95% CI); the shaded upper left is "
        "\u201cconcentrate here\u201d (Martilla & James 1977)",
        "mixed_data": "Synthetic data: {synthetic}. From survey files: {real}.",
        "reconstructed_all": "Each place is reconstructed from its thesis's abstract (see the case reports); the "
        "comparison uses one shared instrument.",
        "reconstructed_some": "The places taken from theses are reconstructed from their abstracts, the others come "
        "from their own surveys (see the case reports); the comparison uses one shared instrument.",
        "reconstructed_none": "Each place comes from its own survey (see the case reports); the comparison uses one "
        "shared instrument.",
        "list_sep": ", ",
        "open": "In respondents' own words",
        "open_caption": "Most frequent answers to the open question, quoted as written after scrubbing phone, ID, "
        "e-mail and listed names",
        "answer": "answer",
        "share": "share of respondents",
        "planning": "Planning a repeat survey",
        "planning_intro": "How many respondents would a repeat survey of each place need to find this study's "
        "findings again with power {power:g}? Notebook 06 simulated every finding {replications} times at each "
        "size from {n_min} to {n_max} respondents of the place, drawing construct scores as fitted (each place's "
        "observed means, covariances and missing rates; the other places at their observed sizes) and applying the "
        "study's own tests: a weakness is Welch's t test against the other places pooled with Holm's correction "
        "(notebook 05), a driver an OLS coefficient with HC3 standard errors (notebook 04). The respondents needed "
        "are the smallest size from which every finding of the place reaches that power. The last column is the "
        "analytic sample size of the RMSEA test of the place's CFA (MacCallum, Browne & Sugawara 1996); the model "
        "itself needs more respondents than its free parameters.",
        "planning_synthetic": "These numbers come from synthetic data: they plan a repeat of the synthetic study, "
        "not of the theses' surveys.",
        "planning_caption": "Respondents a repeat survey needs for power {power:g} (Monte Carlo)",
        "planning_cols": (
            "place",
            "respondents kept",
            "findings",
            "respondents needed",
            "the hardest finding to repeat",
            "CFA RMSEA test: n (analytic)",
        ),
        "planning_more": "more than {n}",
        "planning_none": "no finding",
        "priority_summary": "{count} rated clearly below this place's average of {mean} over the {n} constructs "
        "(their 95% confidence intervals lie wholly below it; the means are in the table above), lowest first: "
        "{constructs}.",
        "priority_count": ("{k} construct is", "{k} constructs are"),
        "priority_item": "{label} ({mean})",
        "below_summary": "{count} rated significantly lower here than in the other {others} places pooled (Welch's t "
        "test, Holm's correction): {constructs}, the largest difference first; the table compares every construct.",
        "below_item": "{label} ({diff})",
        "below_none": "No construct is rated significantly lower here than in the other {others} places pooled "
        "(Welch's t test, Holm's correction); the table compares every construct.",
        "below_caption": "Each construct here and in the other {others} places pooled (Welch's t test; p adjusted by "
        "Holm's method over the constructs)",
        "below_cols": (
            "construct",
            "here",
            "other places",
            "difference",
            "Welch t",
            "df",
            "Holm-adjusted p",
            "significantly lower",
        ),
        "yes": "yes",
        "no": "no",
        "and": " and ",
        "reliability_table_cols": {
            "construct": "construct",
            "alpha": "alpha",
            "alpha_ci_lower": "CI low",
            "alpha_ci_upper": "CI high",
            "omega_total": "omega",
            "ordinal_alpha": "ordinal alpha",
            "ordinal_omega_total": "ordinal omega",
        },
    },
    "zh": {
        "case_title": "{name}应急管理：研究发现与对策建议",
        "summary_title": "{n}地比较：中国基层政府应急管理",
        "banner_source": "本报告以emstudy统一问卷重建摘要文件{abstract}所对应学位论文的案例（{framework}）。",
        "banner_own": "本报告分析{name}的问卷调查数据：数据按emstudy统一问卷编码，并依本案例自身的分析框架（{framework}）解读。",
        "banner_own_source": "资料来源：{source}。",
        "the_case": "案例概况",
        "quality": "数据与质量",
        "reliability": "信度与效度",
        "structure": "因子结构",
        "profile": "构念得分概况",
        "priorities": "优先事项与影响因素",
        "paths": "分析框架的路径模型",
        "comparison": "与其他地区比较",
        "recommendations": "对策建议",
        "not_run": "本案例尚未运行{step}步骤，故不作报告。",
        "framework_table": "分析框架维度及其对应的构念",
        "dimension": "维度",
        "constructs": "构念",
        "construct": "构念",
        "mean": "均值",
        "ci_lower": "95%置信下限",
        "ci_upper": "95%置信上限",
        "n": "样本量",
        "profile_caption": "各构念均值及95%置信区间（1=非常不同意，5=非常同意）",
        "means_caption": "构念均值",
        "rec_line": "{rank}. 【{dimension}】{text}{thesis}",
        "thesis_mark": "（原论文亦提出此类建议）",
        "no_priority": "没有构念明显低于本地平均水平。",
        "problems": "原论文指出的问题：{problems}",
        "problems_own": "本研究指出的问题：{problems}",
        "own_constructs": "除共用问卷外，本次调查还设有自己的题目：{constructs}。这些构念纳入本案例的信度、结构和驱动因素分析，"
        "不纳入地区间比较（比较只用共用构念）。",
        "own_construct": "{label}（{n}个题项）",
        "own_recs_thesis": "原论文提出的对策建议",
        "own_recs_case": "本案例研究提出的对策建议",
        "own_rec_line": "{rank}. {text}（涉及构念：{constructs}{priority}）",
        "own_rec_priority": "；其中{constructs}为本次调查的优先事项",
        "sources": "数据来源：{files}",
        "cases": "案例",
        "shared": "共性问题与个性问题",
        "invariance": "测量等值性",
        "case": "案例",
        "framework": "分析框架",
        "n_valid": "有效问卷",
        "top": "首要优先事项",
        "pattern": "类型",
        "patterns": {"shared": "共有", "particular": "特有"},
        "cases_col": "涉及地区",
        "heatmap_caption": "各地构念均值",
        "profiles_caption": "{n}地构念得分剖面",
        "rel_caption": "各构念信度（alpha及Feldt 95%置信区间，omega总系数；有序alpha与有序omega总系数："
        "基于多分格相关，针对五级选项背后的潜在连续反应）",
        "ipa_caption": "重要性-表现分析图：重要性为各构念对应急管理成效感知的标准化回归系数，表现为其均值（95%置信区间）；"
        "左上阴影区为“重点改进区”（Martilla & James 1977）",
        "mixed_data": "合成数据案例：{synthetic}。来自问卷文件的案例：{real}。",
        "reconstructed_all": "各地案例依据相应学位论文摘要重建（见各案例报告），比较采用统一问卷。",
        "reconstructed_some": "来自学位论文的案例依据其摘要重建，其余案例来自各自的问卷调查（见各案例报告），比较采用统一问卷。",
        "reconstructed_none": "各地案例均来自各自的问卷调查（见各案例报告），比较采用统一问卷。",
        "list_sep": "、",
        "open": "受访者的原话",
        "open_caption": "开放题最常见的回答（已去除电话、身份证号、邮箱及所列姓名）",
        "answer": "回答",
        "share": "占受访者比例",
        "planning": "重复调查的样本量规划",
        "planning_intro": "若对各地重复开展调查，需要多少受访者才能以{power:g}的统计功效重现本研究的发现？第06号笔记本"
        "按拟合所得的构念得分（各地观测到的均值、协方差和缺失率；其他地区保持其观测样本量）模拟每项发现，在本地受访者"
        "{n_min}至{n_max}人的每个样本量下各重复{replications}次，并采用本研究自身的检验：薄弱环节为与其他地区合并样本"
        "比较的Welch t检验（Holm校正，第05号笔记本），影响因素为采用HC3标准误的OLS回归系数（第04号笔记本）。"
        "所需受访者数为本地每项发现的统计功效均达到该水平的最小样本量。最后一列为按MacCallum、Browne和Sugawara"
        "（1996）公式计算的本地验证性因子分析RMSEA检验的解析样本量；模型本身所需的受访者还须多于其自由参数个数。",
        "planning_synthetic": "以上数字基于合成数据，用于规划合成研究的重复调查，而非原论文的调查。",
        "planning_caption": "统计功效达到{power:g}时重复调查所需的受访者数（蒙特卡洛模拟）",
        "planning_cols": ("地区", "有效样本", "发现数", "所需受访者数", "最难重现的发现", "CFA的RMSEA检验：解析样本量"),
        "planning_more": "超过{n}",
        "planning_none": "无发现",
        "priority_summary": "{count}的得分明显低于本地{n}个构念的平均分{mean}（其95%置信区间整体低于该平均分；均值见上表），"
        "由低到高依次为：{constructs}。",
        "priority_count": ("有{k}个构念", "有{k}个构念"),
        "priority_item": "{label}（{mean}）",
        "below_summary": "与其他{others}地相比（其他地区合并为一组），本地{count}的得分显著更低（Welch t检验，Holm校正）：{constructs}，"
        "按差距由大到小排列；各构念的比较见下表。",
        "below_item": "{label}（{diff}）",
        "below_none": "与其他{others}地相比（其他地区合并为一组），本地没有得分显著更低的构念（Welch t检验，Holm校正）；各构念的比较见下表。",
        "below_caption": "各构念本地与其他{others}地合并样本的比较（Welch t检验；p值经Holm法校正）",
        "below_cols": ("构念", "本地", "其他地区", "差值", "Welch t", "自由度", "Holm校正p", "显著更低"),
        "yes": "是",
        "no": "否",
        "and": "和",
        "reliability_table_cols": {
            "construct": "构念",
            "alpha": "alpha",
            "alpha_ci_lower": "置信下限",
            "alpha_ci_upper": "置信上限",
            "omega_total": "omega",
            "ordinal_alpha": "有序alpha",
            "ordinal_omega_total": "有序omega",
        },
    },
}
"""The words of every report, by language: ``TEXT[lang][key]``."""
