"""Charts over the reporting marts (models/marts/reports): campaigns, programme impact, cohorts, monitoring.

Each function is called only when its mart is in the build (reporting.pages checks). A mart that is there
but has no rows for a chart (for instance rpt_model_calibration before any scoring run has matured) gets a
note saying why, not an empty chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from reporting.pages import WIDTH, dropdown, records, with_all
from reporting.report import Section, Warehouse, not_built


def no_rows(title: str, text: str, why: str, sources: list[str]) -> Section:
    return Section(title, text, note=why, sources=sources)


# ------------------------------------------------------------------------------------------------ campaigns

CAMPAIGN_MEASURES = """
    sum(sends) as sends,
    sum(deliveries) as deliveries,
    sum(unique_human_opens) as unique_human_opens,
    sum(unique_clicks) as unique_clicks,
    sum(unsubscribes) as unsubscribes,
    sum(attributed_conversions) as attributed_conversions,
    sum(attributed_revenue) as attributed_revenue,
    sum(attributed_revenue) / nullif(sum(sends), 0) as revenue_per_send
"""

CAMPAIGN_TOOLTIP = [
    alt.Tooltip("sends:Q", format=","),
    alt.Tooltip("deliveries:Q", format=","),
    alt.Tooltip("unique_human_opens:Q", format=",", title="recipients opening (human)"),
    alt.Tooltip("unique_clicks:Q", format=",", title="recipients clicking"),
    alt.Tooltip("unsubscribes:Q", format=","),
    alt.Tooltip("attributed_conversions:Q", format=",.1f"),
    alt.Tooltip("attributed_revenue:Q", format=",.2f"),
    alt.Tooltip("revenue_per_send:Q", format=",.3f"),
]


def campaign_sections(warehouse: Warehouse) -> list[Section]:
    """Revenue by segment (filters: campaign, attribution model, holdout arm) and campaigns compared."""
    sources = ["rpt_campaign_performance"]
    # The mart has no rollup rows (BI tools sum what they do not filter): the sums, and the revenue per send
    # of a sum (the mart's own definition, attributed_revenue / sends), are this query's; "All" rows come
    # from grouping sets, so the browser only picks rows.
    by_segment = warehouse.frame(
        f"""
        select
            case when grouping(campaign_label) = 1 then 'All' else campaign_label end as campaign,
            case when grouping(variant) = 1 then 'All' else variant end as variant,
            attribution_model,
            rfm_segment,
            {CAMPAIGN_MEASURES}
        from (
            select *, coalesce(campaign_name, campaign_id) as campaign_label from {{performance}}
        )
        group by grouping sets (
            (campaign_label, variant, attribution_model, rfm_segment),
            (campaign_label, attribution_model, rfm_segment),
            (variant, attribution_model, rfm_segment),
            (attribution_model, rfm_segment)
        )
        """,
        performance="rpt_campaign_performance",
    )
    if by_segment.empty:
        return [no_rows("Campaign performance by segment", "", "This build's campaigns have no recipients.", sources)]
    models = sorted(by_segment["attribution_model"].unique())
    campaigns = sorted(c for c in by_segment["campaign"].unique() if c != "All")
    variants = sorted(v for v in by_segment["variant"].unique() if v != "All")
    model = dropdown("attribution", "Attribution model", models, value="last_click" if "last_click" in models else None)
    campaign = dropdown("campaign", "Campaign", ["All", *campaigns], value="All")
    variant = dropdown("arm", "Global holdout arm", ["All", *variants], value="All")
    segment_chart = (
        alt.Chart(by_segment)
        .transform_filter(
            f"datum.attribution_model === {model.name} && datum.campaign === {campaign.name}"
            f" && datum.variant === {variant.name}"
        )
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", title=None, sort="-x"),
            x=alt.X("attributed_revenue:Q", title="Attributed revenue (base currency)"),
            color=alt.Color("revenue_per_send:Q", title="Revenue per send", scale=alt.Scale(scheme="teals")),
            tooltip=["rfm_segment:N", *CAMPAIGN_TOOLTIP],
        )
        .add_params(model, campaign, variant)
        .properties(width=WIDTH - 220, height=alt.Step(22), title="Attributed revenue by recipient segment")
    )
    by_campaign = records(
        warehouse.frame(
            f"""
            select
                coalesce(campaign_name, campaign_id) as campaign,
                coalesce(campaign_type, 'unknown') as campaign_type,
                min(campaign_sent_at) as campaign_sent_at,
                case when grouping(rfm_segment) = 1 then 'All' else rfm_segment end as rfm_segment,
                attribution_model,
                {CAMPAIGN_MEASURES}
            from {{performance}}
            group by grouping sets (
                (campaign, campaign_type, rfm_segment, attribution_model),
                (campaign, campaign_type, attribution_model)
            )
            """,
            performance="rpt_campaign_performance",
        )
    )
    segments = sorted(s for s in by_campaign["rfm_segment"].unique() if s != "All")
    types = sorted(by_campaign["campaign_type"].unique())
    model2 = dropdown(
        "attribution_2", "Attribution model", models, value="last_click" if "last_click" in models else None
    )
    segment = dropdown("segment", "Segment", ["All", *segments], value="All")
    campaign_type = with_all("campaign_type", "Campaign type", types)
    campaign_chart = (
        alt.Chart(by_campaign)
        .transform_filter(
            f"datum.attribution_model === {model2.name} && datum.rfm_segment === {segment.name}"
            f" && ({campaign_type.name} === null || datum.campaign_type === {campaign_type.name})"
        )
        .mark_circle(opacity=0.8)
        .encode(
            x=alt.X("campaign_sent_at:T", title="Sent"),
            y=alt.Y("revenue_per_send:Q", title="Revenue per send"),
            size=alt.Size("sends:Q", title="Sends"),
            color=alt.Color("campaign_type:N", title="Campaign type"),
            tooltip=["campaign:N", "campaign_type:N", "campaign_sent_at:T", *CAMPAIGN_TOOLTIP],
        )
        .add_params(model2, segment, campaign_type)
        .properties(width=WIDTH, height=320, title="Revenue per send by campaign")
    )
    return [
        Section(
            "Campaign performance by segment",
            "Revenue credited to emails, by the recipients' RFM segment, under one attribution model at a "
            "time (the send counts repeat under every model). Filter by campaign and by the global holdout "
            "arm; the tooltip has sends, opens by people (machine opens excluded), clicks and conversions.",
            chart=segment_chart,
            sources=sources,
        ),
        Section(
            "Campaigns compared",
            "Each campaign's revenue per send over time, sized by sends. Filter by segment and campaign type "
            "(the mart's channel dimension).",
            chart=campaign_chart,
            sources=sources,
        ),
    ]


CHANNEL_ORDER = ["email", "web", "unattributed"]


def channel_section(warehouse: Warehouse) -> Section:
    """Attributed revenue by channel and month (filters: attribution model, channel), from rpt_channel_attribution."""
    sources = ["rpt_channel_attribution"]
    title = "Attributed revenue by channel and month"
    # The mart's rows are per touch type: summed per channel here; shares are over the mart's month_revenue.
    by_channel = records(
        warehouse.frame(
            """
            select
                order_month,
                attribution_model,
                channel,
                sum(attributed_revenue) as attributed_revenue,
                sum(attributed_conversions) as attributed_conversions,
                any_value(month_revenue) as month_revenue,
                sum(attributed_revenue) / nullif(any_value(month_revenue), 0) as revenue_share
            from {channels}
            group by order_month, attribution_model, channel
            order by order_month, attribution_model, channel
            """,
            channels="rpt_channel_attribution",
        )
    )
    if by_channel.empty:
        return no_rows(title, "", "This build has no completed orders.", sources)
    models = sorted(by_channel["attribution_model"].unique())
    channels = [c for c in CHANNEL_ORDER if c in set(by_channel["channel"])]
    model = dropdown(
        "channel_attribution",
        "Attribution model",
        models,
        value="position_based" if "position_based" in models else None,
    )
    channel = with_all("channel", "Channel", channels)
    chart = (
        alt.Chart(by_channel)
        .transform_filter(
            f"datum.attribution_model === {model.name} && ({channel.name} === null || datum.channel === {channel.name})"
        )
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(order_month):T", title="Order month"),
            y=alt.Y("attributed_revenue:Q", title="Attributed revenue (base currency)", stack="zero"),
            color=alt.Color("channel:N", title="Channel", sort=CHANNEL_ORDER, scale=alt.Scale(domain=CHANNEL_ORDER)),
            order=alt.Order("channel:N"),
            tooltip=[
                alt.Tooltip("yearmonth(order_month):T", title="month"),
                "channel:N",
                alt.Tooltip("attributed_revenue:Q", format=",.2f"),
                alt.Tooltip("revenue_share:Q", format=".1%", title="share of the month's order revenue"),
                alt.Tooltip("attributed_conversions:Q", format=",.1f"),
                alt.Tooltip("month_revenue:Q", format=",.2f", title="month's order revenue"),
            ],
        )
        .add_params(model, channel)
        .properties(width=WIDTH, height=320, title=title)
    )
    return Section(
        title,
        "Each month's completed order revenue split by the channel the attribution model credits: email "
        "touches, web sessions (only position_based credits them; they belong to no campaign) or nothing "
        "(unattributed). Under one model the bars of a month add up to its order revenue. Filter by "
        "attribution model and channel; the tooltip has the share of the month's revenue.",
        chart=chart,
        sources=sources,
    )


# ------------------------------------------------------------------------------------------------ programme

PROGRAMME_MEASURES = {
    "Incremental revenue per customer": (
        "incremental_revenue_per_customer",
        "incremental_revenue_per_customer_ci_lower",
        "incremental_revenue_per_customer_ci_upper",
    ),
    "Incremental conversion rate": (
        "incremental_conversion_rate",
        "incremental_conversion_rate_ci_lower",
        "incremental_conversion_rate_ci_upper",
    ),
    "Incremental revenue": ("incremental_revenue", "incremental_revenue_ci_lower", "incremental_revenue_ci_upper"),
    "ROI": ("roi", "roi_ci_lower", "roi_ci_upper"),
}


def programme_monthly_chart(warehouse: Warehouse, title: str, text: str) -> Section:
    have = set(warehouse.columns("rpt_programme_impact"))
    selects = [
        f"select month_start, is_partial_month, is_low_data, '{label}' as measure,"
        f" {estimate} as estimate, {lower} as ci_lower, {upper} as ci_upper,"
        " customers_personalized, customers_holdout, total_cost from {programme}"
        for label, (estimate, lower, upper) in PROGRAMME_MEASURES.items()
        if {estimate, lower, upper} <= have
    ]
    frame = records(
        warehouse.frame(
            " union all ".join(selects) + " order by measure, month_start", programme="rpt_programme_impact"
        )
    )
    frame = frame.dropna(subset=["estimate"])
    if frame.empty:
        return no_rows(
            title, text, "rpt_programme_impact has no month with an estimate in this build.", ["rpt_programme_impact"]
        )
    measures = [label for label in PROGRAMME_MEASURES if label in set(frame["measure"])]
    measure = dropdown("programme_measure", "Measure", measures, value=measures[0])
    base = (
        alt.Chart(frame)
        .transform_filter(f"datum.measure === {measure.name}")
        .encode(x=alt.X("month_start:T", title="Month", timeUnit="yearmonth"))
    )
    tooltip = [
        alt.Tooltip("month_start:T", format="%Y-%m"),
        "measure:N",
        alt.Tooltip("estimate:Q", format=",.4f"),
        alt.Tooltip("ci_lower:Q", format=",.4f"),
        alt.Tooltip("ci_upper:Q", format=",.4f"),
        alt.Tooltip("customers_personalized:Q", format=","),
        alt.Tooltip("customers_holdout:Q", format=","),
        alt.Tooltip("total_cost:Q", format=",.2f"),
        "is_partial_month:N",
        "is_low_data:N",
    ]
    chart = (
        alt.layer(
            base.mark_rule(strokeWidth=2).encode(
                y=alt.Y("ci_lower:Q", title="Estimate (95% interval)"), y2="ci_upper:Q"
            ),
            base.mark_point(filled=True, size=60).encode(
                y="estimate:Q",
                shape=alt.Shape("is_low_data:N", title="Low data"),
                tooltip=tooltip,
            ),
            alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="#888").encode(y="zero:Q"),
        )
        .add_params(measure)
        .properties(width=WIDTH, height=320, title="Programme uplift against the global holdout, by month")
    )
    return Section(title, text, chart=chart, sources=["rpt_programme_impact"])


# -------------------------------------------------------------------------------------------------- cohorts


def cohort_sections(warehouse: Warehouse) -> list[Section]:
    sources = ["rpt_customer_cohorts"]
    cohorts = records(
        warehouse.frame(
            """
            select
                strftime(cohort_month, '%Y-%m') as cohort, months_since_first_order, is_complete_month,
                cohort_customers, active_customers, retention_rate, cumulative_net_revenue_per_customer
            from {cohorts}
            order by cohort, months_since_first_order
            """,
            cohorts="rpt_customer_cohorts",
        )
    )
    sections = []
    if cohorts.empty:
        sections.append(
            no_rows("Retention by cohort", "", "rpt_customer_cohorts has no cohort in this build.", sources)
        )
    else:
        tooltip = [
            "cohort:N",
            "months_since_first_order:O",
            alt.Tooltip("cohort_customers:Q", format=","),
            alt.Tooltip("active_customers:Q", format=","),
            alt.Tooltip("retention_rate:Q", format=".1%"),
            alt.Tooltip("cumulative_net_revenue_per_customer:Q", format=",.2f"),
            "is_complete_month:N",
        ]
        heatmap = (
            alt.Chart(cohorts)
            .transform_filter("datum.months_since_first_order > 0")
            .mark_rect()
            .encode(
                x=alt.X("months_since_first_order:O", title="Months since first order"),
                y=alt.Y("cohort:O", title="Cohort (first-order month)"),
                color=alt.Color(
                    "retention_rate:Q",
                    title="Retention",
                    scale=alt.Scale(scheme="blues"),
                    legend=alt.Legend(format=".0%"),
                ),
                tooltip=tooltip,
            )
            .properties(width=WIDTH - 100, height=alt.Step(18), title="Share of each cohort ordering again, by month")
        )
        sections.append(
            Section(
                "Retention heatmap",
                "Each row a cohort of customers by the month of their first order; each cell the share of them "
                "who ordered in that later month (month 0, 100% by construction, is left out). The last month "
                "of each row is partial.",
                chart=heatmap,
                sources=sources,
            )
        )
        cohort = with_all("ltv_cohort", "Cohort", sorted(cohorts["cohort"].unique()))
        curves = (
            alt.Chart(cohorts)
            .transform_filter(f"{cohort.name} === null || datum.cohort === {cohort.name}")
            .mark_line(point=True)
            .encode(
                x=alt.X("months_since_first_order:Q", title="Months since first order"),
                y=alt.Y("cumulative_net_revenue_per_customer:Q", title="Cumulative net revenue per customer"),
                color=alt.Color("cohort:N", title="Cohort", scale=alt.Scale(scheme="viridis")),
                tooltip=tooltip,
            )
            .add_params(cohort)
            .properties(width=WIDTH - 100, height=320, title="LTV curves: realised value per customer")
        )
        sections.append(
            Section(
                "LTV curves",
                "Cumulative net revenue per customer of each cohort, month by month since the first order.",
                chart=curves,
                sources=sources,
            )
        )
    sections.append(predicted_against_realised(warehouse))
    return sections


def predicted_against_realised(warehouse: Warehouse) -> Section:
    title = "Predicted lifetime value next to the realised one"
    text = (
        "Per cohort, the CLV model's mean predicted net spend over its horizon next to what the same customers "
        "then spent. Realised spend exists only once a scoring run's horizon has passed."
    )
    if not warehouse.has("rpt_customer_cohort_clv"):
        return not_built(title, text, "rpt_customer_cohort_clv")
    sources = ["rpt_customer_cohort_clv"]
    clv = warehouse.frame(
        """
        select strftime(cohort_month, '%Y-%m') as cohort, prediction_basis, horizon_days, customers_predicted,
               'predicted' as kind, mean_predicted_clv as mean_net_spend
        from {clv} where customers_predicted > 0 and mean_predicted_clv is not null
        union all
        select strftime(cohort_month, '%Y-%m'), prediction_basis, horizon_days, customers_predicted,
               'realised', mean_realised_net_spend
        from {clv} where customers_predicted > 0 and mean_realised_net_spend is not null
        order by 1, 5
        """,
        clv="rpt_customer_cohort_clv",
    )
    if clv.empty:
        return no_rows(title, text, "No cohort has a CLV prediction in this build.", sources)
    basis = ", ".join(sorted(clv["prediction_basis"].unique()))
    realised = (clv["kind"] == "realised").any()
    chart = (
        alt.Chart(clv)
        .mark_bar()
        .encode(
            x=alt.X("cohort:O", title="Cohort"),
            xOffset="kind:N",
            y=alt.Y("mean_net_spend:Q", title="Mean net spend per customer over the horizon"),
            color=alt.Color("kind:N", title=None),
            tooltip=[
                "cohort:N",
                "kind:N",
                "prediction_basis:N",
                "horizon_days:Q",
                "customers_predicted:Q",
                alt.Tooltip("mean_net_spend:Q", format=",.2f"),
            ],
        )
        .properties(width=WIDTH, height=280, title="CLV: predicted and realised")
    )
    note = (
        None
        if realised
        else (
            "No scoring run's horizon has matured yet, so only predictions are shown (prediction basis: "
            f"{basis}); the realised bars appear once one has."
        )
    )
    return Section(title, text + f" Prediction basis here: {basis}.", chart=chart, note=note, sources=sources)


# --------------------------------------------------------------------------------------------------- models


def monitoring_sections(warehouse: Warehouse) -> list[Section]:
    sections = [gains_and_calibration(warehouse)]
    runs = records(
        warehouse.frame(
            """
            select model_name, scored_at, model_version, is_label_matured, evaluated_customers, auc, training_auc,
                   brier, calibration_error, observed_rate, recommendation_hit_rate, max_feature_psi,
                   features_with_major_drift, score_psi
            from {monitoring}
            order by model_name, scored_at
            """,
            monitoring="rpt_model_monitoring",
        )
    )
    sources = ["rpt_model_monitoring"]
    drift = runs.dropna(subset=["max_feature_psi"])
    title = "Drift over time"
    text = (
        "The largest population stability index of any input feature in each scoring run, against the "
        "training data of the propensity model: under 0.1 stable, 0.1 to 0.25 worth a look, above 0.25 "
        "a major shift."
    )
    if drift.empty:
        sections.append(no_rows(title, text, "No scoring run in this build has a drift measurement.", sources))
    else:
        thresholds = pd.DataFrame({"psi": [0.1, 0.25], "level": ["moderate", "major"]})
        chart = alt.layer(
            alt.Chart(drift)
            .mark_line(point=True)
            .encode(
                x=alt.X("scored_at:T", title="Scoring run", axis=alt.Axis(format="%Y-%m-%d %H:%M")),
                y=alt.Y("max_feature_psi:Q", title="Largest feature PSI"),
                color=alt.Color("model_name:N", title="Model"),
                tooltip=[
                    "model_name:N",
                    "model_version:N",
                    "scored_at:T",
                    alt.Tooltip("max_feature_psi:Q", format=".3f"),
                    "features_with_major_drift:Q",
                    alt.Tooltip("score_psi:Q", format=".3f"),
                ],
            ),
            alt.Chart(thresholds).mark_rule(strokeDash=[4, 4], color="#b55").encode(y="psi:Q", tooltip=["level:N"]),
        ).properties(width=WIDTH, height=260, title="Input drift by scoring run")
        sections.append(Section(title, text, chart=chart, sources=sources))
    title = "AUC in production against AUC at training"
    text = (
        "Each matured scoring run's AUC on what then happened, next to the AUC the registry measured at "
        "training: a widening gap says the model has gone stale."
    )
    auc = (
        runs.dropna(subset=["auc"])
        .melt(
            id_vars=["model_name", "scored_at", "model_version", "evaluated_customers"],
            value_vars=["auc", "training_auc"],
            var_name="measured",
            value_name="auc_value",
        )
        .dropna(subset=["auc_value"])
    )
    if auc.empty:
        sections.append(
            no_rows(
                title,
                text,
                "No scoring run has matured yet: a run's labels mature one horizon after it scored "
                "(is_label_matured in rpt_model_monitoring), so production AUC appears from then on.",
                sources,
            )
        )
    else:
        chart = (
            alt.Chart(auc)
            .mark_line(point=True)
            .encode(
                x=alt.X("scored_at:T", title="Scoring run", axis=alt.Axis(format="%Y-%m-%d %H:%M")),
                y=alt.Y("auc_value:Q", title="AUC", scale=alt.Scale(zero=False)),
                color=alt.Color("model_name:N", title="Model"),
                strokeDash=alt.StrokeDash("measured:N", title=None),
                shape=alt.Shape("measured:N", title=None),
                tooltip=[
                    "model_name:N",
                    "model_version:N",
                    "scored_at:T",
                    "measured:N",
                    alt.Tooltip("auc_value:Q", format=".3f"),
                    "evaluated_customers:Q",
                ],
            )
            .properties(width=WIDTH, height=260, title="AUC by scoring run")
        )
        sections.append(Section(title, text, chart=chart, sources=sources))
    return sections


def gains_and_calibration(warehouse: Warehouse) -> Section:
    title = "Gains and calibration on the latest matured run"
    text = (
        "Customers ranked by the model's prediction in deciles: the gains curve (share of all positives found "
        "in the top deciles) and calibration (mean prediction against what happened, per decile), for each "
        "model's latest scoring run whose horizon has passed."
    )
    if not warehouse.has("rpt_model_calibration"):
        return not_built(title, text, "rpt_model_calibration")
    sources = ["rpt_model_calibration"]
    deciles = warehouse.frame(
        """
        with latest as (
            select model_name, max(scored_at) as scored_at from {calibration} group by model_name
        )
        select
            calibration.model_name, calibration.scored_at, calibration.model_version, calibration.decile,
            calibration.customers, calibration.mean_predicted, calibration.mean_observed,
            calibration.share_of_observed,
            (11 - calibration.decile) / 10.0 as share_of_customers_targeted,
            -- the gains curve reads the deciles from the top (10) down: the running share of positives
            sum(calibration.share_of_observed) over (
                partition by calibration.model_name order by calibration.decile desc
            ) as cumulative_share_of_observed
        from {calibration} as calibration
        inner join latest using (model_name, scored_at)
        order by calibration.model_name, calibration.decile
        """,
        calibration="rpt_model_calibration",
    )
    if deciles.empty:
        return no_rows(
            title,
            text,
            "No scoring run has matured yet: rpt_model_calibration is empty until a run's horizon has passed "
            "(a run grades its predictions one horizon after it scored), so the curves appear from then on.",
            sources,
        )
    deciles = records(deciles)
    models = sorted(deciles["model_name"].unique())
    model = dropdown("monitored_model", "Model", models, value=models[0])
    base = alt.Chart(deciles).transform_filter(f"datum.model_name === {model.name}")
    origin = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})
    gains = alt.layer(
        base.mark_line(point=True).encode(
            x=alt.X("share_of_customers_targeted:Q", title="Share of customers targeted (top deciles)"),
            y=alt.Y("cumulative_share_of_observed:Q", title="Share of positives (or spend) found"),
            tooltip=["model_name:N", "decile:O", alt.Tooltip("cumulative_share_of_observed:Q", format=".1%")],
        ),
        alt.Chart(origin).mark_line(strokeDash=[4, 4], color="#888").encode(x="x:Q", y="y:Q"),
    ).properties(width=330, height=300, title="Cumulative gains")
    calibration = alt.layer(
        base.mark_line(point=True).encode(
            x=alt.X("mean_predicted:Q", title="Mean prediction in the decile"),
            y=alt.Y("mean_observed:Q", title="Observed in the decile"),
            tooltip=[
                "model_name:N",
                "decile:O",
                "customers:Q",
                alt.Tooltip("mean_predicted:Q", format=".3f"),
                alt.Tooltip("mean_observed:Q", format=".3f"),
            ],
        ),
        base.mark_line(strokeDash=[4, 4], color="#888").encode(x="mean_predicted:Q", y="mean_predicted:Q"),
    ).properties(width=330, height=300, title="Calibration by decile")
    chart = alt.hconcat(gains, calibration).add_params(model)
    return Section(title, text, chart=chart, sources=sources)
