"""The report's pages: one function per theme, each reading marts and returning a Page of Altair charts.

Every number drawn is a column of a mart, selected (and at most grouped, counted or summed) in SQL here:
Vega-Lite only filters and draws. Filters are Altair parameters bound to dropdowns; a filter's "All"
option is a row the query computed (grouping sets), never a sum the browser makes.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from reporting.report import Page, Section, Warehouse, not_built

WIDTH = 760


def dropdown(name: str, label: str, options: Sequence, value=None, labels: Sequence[str] | None = None):
    """An Altair parameter bound to a <select>."""
    options = list(options)
    if value is None and options:
        value = options[0]
    extra = {"labels": list(labels)} if labels else {}
    binding = alt.binding_select(options=options, name=f"{label} ", **extra)
    return alt.param(name=name, value=value, bind=binding)


def all_or(param_name: str, field: str) -> str:
    """A filter that keeps every row while the dropdown says All (null), else the rows of its value."""
    return f"{param_name} === null || datum['{field}'] === {param_name}"


def with_all(name: str, label: str, values: Sequence[str]):
    return dropdown(name, label, [None, *values], value=None, labels=["All", *values])


def records(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO strings (Vega parses them), everything else as the mart has it."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return frame


def columns_present(warehouse: Warehouse, table: str, wanted: Sequence[str]) -> list[str]:
    have = set(warehouse.columns(table))
    return [column for column in wanted if column not in have]


# ---------------------------------------------------------------------------------------------- experiments


def experiments_page(warehouse: Warehouse) -> Page:
    page = Page(
        "experiments",
        "Experiments",
        "Every experiment's lift over its control with its confidence interval, and how the cumulative "
        "lift and its interval moved day by day. Intervals, p-values and lifts are rpt_experiment_results' "
        "and rpt_experiment_daily's.",
    )
    if not warehouse.has("rpt_experiment_results"):
        page.sections.append(not_built("Lift by experiment", "", "rpt_experiment_results"))
    else:
        page.sections.append(forest_plot(warehouse))
    if not warehouse.has("rpt_experiment_daily"):
        page.sections.append(not_built("Cumulative lift by day", "", "rpt_experiment_daily"))
    else:
        page.sections.append(cumulative_lift(warehouse))
    return page


def forest_plot(warehouse: Warehouse) -> Section:
    results = records(
        warehouse.frame(
            """
            select
                experiment_id, variant, metric, is_primary_metric, n_units, value, control_value,
                absolute_lift, ci_lower, ci_upper, relative_lift, p_value, p_value_adjusted,
                chance_to_beat_control, is_srm, is_low_data,
                experiment_id || ' · ' || variant as comparison,
                coalesce(p_value_adjusted < 0.05, false) as is_significant
            from {results}
            where not is_control and absolute_lift is not null
            order by experiment_id, variant, metric
            """,
            results="rpt_experiment_results",
        )
    )
    metrics = sorted(results["metric"].unique())
    primary = results.loc[results["is_primary_metric"], "metric"]
    metric = dropdown("forest_metric", "Metric", metrics, value=primary.iloc[0] if len(primary) else None)
    experiment = with_all("forest_experiment", "Experiment", sorted(results["experiment_id"].unique()))
    base = alt.Chart(results).transform_filter(f"datum.metric === {metric.name}")
    base = base.transform_filter(all_or(experiment.name, "experiment_id"))
    y = alt.Y("comparison:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))
    tooltip = [
        "experiment_id:N",
        "variant:N",
        "metric:N",
        "n_units:Q",
        alt.Tooltip("value:Q", format=".4f"),
        alt.Tooltip("control_value:Q", format=".4f"),
        alt.Tooltip("absolute_lift:Q", format=".4f"),
        alt.Tooltip("ci_lower:Q", format=".4f"),
        alt.Tooltip("ci_upper:Q", format=".4f"),
        alt.Tooltip("relative_lift:Q", format=".1%"),
        alt.Tooltip("p_value_adjusted:Q", format=".3f"),
        alt.Tooltip("chance_to_beat_control:Q", format=".1%"),
        "is_srm:N",
    ]
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_lower:Q", title="Absolute lift over control (95% interval)"),
        x2="ci_upper:Q",
        y=y,
        color=alt.Color("is_significant:N", title="Adjusted p < 0.05", scale=alt.Scale(domain=[False, True])),
        tooltip=tooltip,
    )
    point = base.mark_point(filled=True, size=70).encode(
        x="absolute_lift:Q", y=y, color="is_significant:N", tooltip=tooltip
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="#888").encode(x="zero:Q")
    chart = (
        alt.layer(interval, point, zero)
        .add_params(metric, experiment)
        .properties(width=WIDTH, height=alt.Step(28), title="Lift over control by experiment and variant")
    )
    return Section(
        "Lift by experiment (forest plot)",
        "Each row is a variant against its experiment's control on one metric: the dot is the absolute lift, "
        "the bar its 95% confidence interval, coloured where the Holm-adjusted p-value is below 0.05. "
        "The global holdout row measures the whole programme.",
        chart=chart,
        sources=["rpt_experiment_results"],
    )


def cumulative_lift(warehouse: Warehouse) -> Section:
    daily = records(
        warehouse.frame(
            """
            select result_date, experiment_id, variant, metric, n_units, absolute_lift, ci_lower, ci_upper
            from {daily}
            where not is_control and absolute_lift is not null
            order by experiment_id, metric, variant, result_date
            """,
            daily="rpt_experiment_daily",
        )
    )
    experiments = sorted(daily["experiment_id"].unique())
    # Open on the experiment with the longest history: the narrowing interval is what the chart is for.
    longest = daily.groupby("experiment_id")["result_date"].nunique().idxmax() if len(daily) else None
    experiment = dropdown("daily_experiment", "Experiment", experiments, value=longest)
    metrics = sorted(daily["metric"].unique())
    metric = dropdown("daily_metric", "Metric", metrics, value="conversion" if "conversion" in metrics else None)
    base = (
        alt.Chart(daily)
        .transform_filter(f"datum.experiment_id === {experiment.name} && datum.metric === {metric.name}")
        .encode(x=alt.X("result_date:T", title="Day"), color=alt.Color("variant:N", title="Variant"))
    )
    band = base.mark_area(opacity=0.25).encode(
        y=alt.Y("ci_lower:Q", title="Cumulative absolute lift (95% interval)"), y2="ci_upper:Q"
    )
    line = base.mark_line().encode(
        y="absolute_lift:Q",
        tooltip=[
            "result_date:T",
            "variant:N",
            "n_units:Q",
            alt.Tooltip("absolute_lift:Q", format=".4f"),
            alt.Tooltip("ci_lower:Q", format=".4f"),
            alt.Tooltip("ci_upper:Q", format=".4f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="#888").encode(y="zero:Q")
    chart = (
        alt.layer(band, line, zero)
        .add_params(experiment, metric)
        .properties(width=WIDTH, height=320, title="Cumulative lift by day")
    )
    return Section(
        "Cumulative lift by day",
        "The lift as it stood each day, on everything assigned up to that day, with its interval: it narrows "
        "as units accrue. A lift that settles outside zero only late, or swings, is read with care.",
        chart=chart,
        sources=["rpt_experiment_daily"],
    )


# ------------------------------------------------------------------------------------------------ programme


def programme_page(warehouse: Warehouse) -> Page:
    page = Page(
        "programme",
        "Programme impact",
        "What personalisation earns against the global holdout: incremental conversions and revenue per "
        "customer with their intervals, by month, and the return on its costs.",
    )
    page.sections.append(programme_monthly(warehouse))
    page.sections.append(holdout_overall(warehouse))
    return page


def programme_monthly(warehouse: Warehouse) -> Section:
    title = "Incremental revenue and conversions by month"
    text = "Personalised customers against the global holdout, month by month, with 95% intervals."
    if not warehouse.has("rpt_programme_impact"):
        return not_built(title, text, "rpt_programme_impact")
    from reporting.pages_new_marts import programme_monthly_chart

    return programme_monthly_chart(warehouse, title, text)


def holdout_overall(warehouse: Warehouse) -> Section:
    title = "Global holdout over the whole period"
    text = (
        "The programme's lift on every metric since the holdout began (rpt_experiment_results' global_holdout "
        "rows): each panel has its own scale, as metrics differ in units."
    )
    if not warehouse.has("rpt_experiment_results"):
        return not_built(title, text, "rpt_experiment_results")
    holdout = warehouse.frame(
        """
        select metric, variant, n_units, absolute_lift, ci_lower, ci_upper, relative_lift, p_value_adjusted
        from {results}
        where experiment_id = 'global_holdout' and not is_control and absolute_lift is not null
        order by metric
        """,
        results="rpt_experiment_results",
    )
    if holdout.empty:
        return Section(title, text, note="This build has no global holdout results (seeds/experiments.csv).")
    base = alt.Chart(holdout).encode(y=alt.Y("variant:N", title=None))
    chart = (
        alt.layer(
            base.mark_rule(strokeWidth=3).encode(x=alt.X("ci_lower:Q", title="Absolute lift"), x2="ci_upper:Q"),
            base.mark_point(filled=True, size=80).encode(
                x="absolute_lift:Q",
                tooltip=[
                    "metric:N",
                    "n_units:Q",
                    alt.Tooltip("absolute_lift:Q", format=".4f"),
                    alt.Tooltip("ci_lower:Q", format=".4f"),
                    alt.Tooltip("ci_upper:Q", format=".4f"),
                    alt.Tooltip("relative_lift:Q", format=".1%"),
                    alt.Tooltip("p_value_adjusted:Q", format=".3f"),
                ],
            ),
        )
        .properties(width=WIDTH - 120, height=40)
        .facet(row=alt.Row("metric:N", title=None))
        .resolve_scale(x="independent")
    )
    return Section(title, text, chart=chart, sources=["rpt_experiment_results"])


# ------------------------------------------------------------------------------------------------ campaigns


def campaigns_page(warehouse: Warehouse) -> Page:
    page = Page(
        "campaigns",
        "Campaign performance",
        "Sends, human opens, clicks, conversions and attributed revenue per campaign and segment, with the "
        "attribution models side by side.",
    )
    if not warehouse.has("rpt_campaign_performance"):
        page.sections.append(
            not_built(
                "Campaign performance by segment",
                "Per campaign and segment: revenue per send and attributed revenue.",
                "rpt_campaign_performance",
            )
        )
        return page
    from reporting.pages_new_marts import campaign_sections, channel_section

    page.sections.extend(campaign_sections(warehouse))
    if warehouse.has("rpt_channel_attribution"):
        page.sections.append(channel_section(warehouse))
    else:
        page.sections.append(
            not_built(
                "Attributed revenue by channel and month",
                "Each month's order revenue by the channel credited: email, web sessions, unattributed.",
                "rpt_channel_attribution",
            )
        )
    return page


# ------------------------------------------------------------------------------------------------- segments


def segments_page(warehouse: Warehouse) -> Page:
    page = Page(
        "segments",
        "RFM segments",
        "How many customers sit in each recency × frequency-monetary cell and what they are worth, from "
        "fct_customer_segments (the scores and segment) and fct_customer_features (monetary value).",
    )
    if not warehouse.has("fct_customer_segments"):
        page.sections.append(not_built("RFM grid", "", "fct_customer_segments"))
        return page
    has_value = warehouse.has("fct_customer_features")
    value_sql = "sum(features.monetary_value)" if has_value else "null::double"
    join_sql = "left join {features} as features using (customer_id)" if has_value else ""
    tables = {"segments": "fct_customer_segments", **({"features": "fct_customer_features"} if has_value else {})}
    grid = warehouse.frame(
        f"""
        select
            segments.recency_score,
            segments.frequency_monetary_score,
            segments.rfm_segment,
            coalesce(segments.lifecycle_stage, 'All') as lifecycle_stage,
            count(*) as customers,
            {value_sql} as monetary_value_total,
            {value_sql} / count(*) as monetary_value_per_customer
        from {{segments}} as segments
        {join_sql}
        where segments.rfm_segment is not null
        group by grouping sets (
            (segments.recency_score, segments.frequency_monetary_score, segments.rfm_segment, segments.lifecycle_stage),
            (segments.recency_score, segments.frequency_monetary_score, segments.rfm_segment)
        )
        """,
        **tables,
    )
    stages = sorted(s for s in grid["lifecycle_stage"].unique() if s != "All")
    stage = dropdown("lifecycle", "Lifecycle stage", ["All", *stages], value="All")
    base = (
        alt.Chart(grid)
        .transform_filter(f"datum.lifecycle_stage === {stage.name}")
        .encode(
            x=alt.X("recency_score:O", title="Recency score (5 = most recent)"),
            y=alt.Y("frequency_monetary_score:O", title="Frequency-monetary score", sort="descending"),
            tooltip=[
                "rfm_segment:N",
                "lifecycle_stage:N",
                "recency_score:O",
                "frequency_monetary_score:O",
                "customers:Q",
                alt.Tooltip("monetary_value_total:Q", format=",.0f"),
                alt.Tooltip("monetary_value_per_customer:Q", format=",.2f"),
            ],
        )
    )
    sizes = alt.layer(
        base.mark_rect().encode(color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="blues"))),
        base.mark_text(baseline="middle", fontSize=9).encode(text="rfm_segment:N"),
    ).properties(width=430, height=300, title="Customers per cell")
    value = alt.layer(
        base.mark_rect().encode(
            color=alt.Color(
                "monetary_value_per_customer:Q", title="Value per customer", scale=alt.Scale(scheme="greens")
            )
        ),
        base.mark_text(baseline="middle", fontSize=10).encode(text=alt.Text("customers:Q", format=",")),
    ).properties(width=300, height=300, title="Monetary value per customer (labels: customers)")
    grid_chart = alt.hconcat(sizes, value).resolve_scale(color="independent").add_params(stage)
    page.sections.append(
        Section(
            "RFM grid: segment sizes and value",
            "Recency against frequency-monetary score, as the segment rules (seeds/rfm_segments.csv) read them; "
            "customers without an order have no scores and are left out here (the bars below count them). "
            "Filter by lifecycle stage.",
            chart=grid_chart,
            sources=list(tables.values()),
        )
    )
    by_segment = warehouse.frame(
        f"""
        select
            coalesce(segments.rfm_segment, 'No orders yet (not scored)') as rfm_segment,
            count(*) as customers,
            count(*) / sum(count(*)) over () as share_of_customers,
            {value_sql} as monetary_value_total
        from {{segments}} as segments
        {join_sql}
        group by all
        order by customers desc
        """,
        **tables,
    )
    bars = (
        alt.Chart(by_segment)
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", sort="-x", title=None),
            x=alt.X("customers:Q", title="Customers"),
            tooltip=[
                "rfm_segment:N",
                "customers:Q",
                alt.Tooltip("share_of_customers:Q", format=".1%"),
                alt.Tooltip("monetary_value_total:Q", format=",.0f"),
            ],
        )
        .properties(width=WIDTH - 200, height=alt.Step(22), title="Customers per segment")
    )
    page.sections.append(
        Section(
            "Segment sizes",
            "Customers per RFM segment; the tooltip gives the share and the segment's total monetary value.",
            chart=bars,
            sources=list(tables.values()),
        )
    )
    return page


# -------------------------------------------------------------------------------------------------- cohorts


def cohorts_page(warehouse: Warehouse) -> Page:
    page = Page(
        "cohorts",
        "Cohorts and lifetime value",
        "Customers grouped by the month of their first order: how many still buy each month after, what "
        "they have spent per customer (LTV curves), and the CLV model's prediction next to the realised value.",
    )
    if not warehouse.has("rpt_customer_cohorts"):
        page.sections.append(
            not_built(
                "Retention heatmap and LTV curves",
                "Retention and cumulative revenue per customer by month since first order.",
                "rpt_customer_cohorts",
            )
        )
        return page
    from reporting.pages_new_marts import cohort_sections

    page.sections.extend(cohort_sections(warehouse))
    return page


# --------------------------------------------------------------------------------------------------- models


def models_page(warehouse: Warehouse) -> Page:
    page = Page(
        "models",
        "Models in production",
        "Is each model still good: gains and calibration on the latest matured labels, drift of its inputs "
        "over time, and every training run's validation metrics.",
    )
    if warehouse.has("rpt_model_monitoring"):
        from reporting.pages_new_marts import monitoring_sections

        page.sections.extend(monitoring_sections(warehouse))
    else:
        page.sections.append(
            not_built(
                "Gains, calibration and drift over time",
                "Per model and scoring run: AUC on matured labels, calibration by decile and PSI drift.",
                "rpt_model_monitoring",
            )
        )
    if warehouse.has("ml_model_runs"):
        page.sections.append(training_runs(warehouse))
    return page


def training_runs(warehouse: Warehouse) -> Section:
    runs = records(
        warehouse.frame(
            """
            select
                model_name, model_version, try_cast(trained_at as timestamp) as trained_at,
                auc, recency_baseline_auc, calibration_error, quality_grade, is_promoted, is_current
            from {runs}
            where auc is not null
            order by model_name, trained_at
            """,
            runs="ml_model_runs",
        )
    )
    long = runs.melt(
        id_vars=["model_name", "model_version", "trained_at", "is_current"],
        value_vars=["auc", "recency_baseline_auc"],
        var_name="measure",
        value_name="auc_value",
    ).dropna(subset=["auc_value"])
    chart = (
        alt.Chart(long)
        .mark_bar(clip=True)
        .encode(
            x=alt.X("measure:N", title=None),
            y=alt.Y("auc_value:Q", title="Validation AUC", scale=alt.Scale(domain=[0.5, 1])),
            color=alt.Color("measure:N", title=None),
            column=alt.Column("model_name:N", title=None),
            tooltip=[
                "model_name:N",
                "model_version:N",
                "trained_at:T",
                "measure:N",
                alt.Tooltip("auc_value:Q", format=".3f"),
            ],
        )
        .properties(width=140, height=220)
    )
    return Section(
        "Validation AUC of the classifiers against the recency baseline",
        "From the model registry (ml_model_runs): the AUC each training run measured on its validation "
        "snapshot, next to ranking customers by recency alone.",
        chart=chart,
        sources=["ml_model_runs"],
    )


# --------------------------------------------------------------------------------------------- data quality


def quality_page(warehouse: Warehouse) -> Page:
    """Counts from the audit marts (reporting.pages_quality): raw rows' fates, rejections, quarantine, URLs."""
    from reporting.pages_quality import quality_page as build

    return build(warehouse)


PAGE_BUILDERS = [
    experiments_page,
    programme_page,
    campaigns_page,
    segments_page,
    cohorts_page,
    models_page,
    quality_page,
]


def index_page(warehouse: Warehouse, pages: Sequence[Page]) -> Page:
    rows = []
    for page in pages:
        missing = sorted({mart for section in page.sections for mart in section.missing})
        state = "not built yet: " + ", ".join(missing) if missing else "complete"
        rows.append(f'<tr><td><a href="{page.slug}.html">{page.title}</a></td><td>{state}</td></tr>')
    summary = (
        "A static report on the published warehouse: open the pages below from disk, no server needed. "
        "Every number is read from a mart of this build (the footer names it).</p>"
        "<table><tr><th>Page</th><th>State</th></tr>" + "".join(rows) + "</table><p>"
    )
    return Page("index", "Overview", summary)
