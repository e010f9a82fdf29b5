"""Late payers, for each head: the employers to chase in their unit, the largest debt first; what
changed since the list before; the list fit for publication; and the unit's reported debt
against the sum of its employers'."""
import streamlit as st

import sprint
from pages import reads, ui
from sprint import i18n

ui.route_through_app()

lang = ui.lang()
title = st.empty()
title.title(ui.t("page_late_payers"))
if ui.require_data():
    as_of = reads.as_of()
    units = reads.read(sprint.units)
    mine = reads.my_unit()
    scopes = units.loc[(units["depth"] <= 1) | (units["unit_code"] == mine), "unit_code"].tolist()
    unit = st.selectbox(ui.t("scope"), scopes, index=scopes.index(mine) if mine in scopes else 0,
                        format_func=ui.unit_formatter(), key="late_payers_scope")
    title.title(ui.t("late_payers_of", unit=ui.unit_label(unit)))
    listed = reads.read(sprint.late_payers, as_of=as_of, unit=unit)
    if listed.empty:
        st.info(ui.t("late_payers_none", unit=ui.unit_label(unit)))
        st.stop()
    st.caption(ui.t("late_payers_help", day=i18n.day(as_of, lang)))
    check = reads.read(sprint.late_payers_check, as_of=as_of, unit=unit).iloc[0]
    st.markdown("### " + ui.t("late_payers_total", employers=i18n.number(check["employers"], lang),
                              debt=i18n.number(check["employers_debt"], lang, 1)))
    if check["late_debt"] is not None and str(check["late_debt"]) != "nan":
        st.caption(ui.t("late_payers_check_line", unit=ui.unit_label(unit),
                        late_debt=i18n.number(check["late_debt"], lang, 1),
                        difference=i18n.signed(check["difference"], lang, 1),
                        pct=i18n.signed_percent(check["difference_pct"], lang)))
    shown = listed.assign(change=listed["change"].map(lambda c: ui.t(f"change_{c}")))
    # who and how much first: what a 390 px phone shows
    ui.table(shown, {"employer_name": ui.column("late_payers_employer_name", 170),
                     "amount": ui.column("late_payers_amount", 110),
                     "months_late": ui.column("late_payers_months_late", 70), "change": ui.column("change", 70),
                     "previous_amount": "previous_amount", "employer_code": "late_payers_employer_code",
                     "unit_name": "collecting_unit", "list_date": ui.date_column("count_date")})
    ui.download_buttons(listed, f"no-cham-dong-{unit}-{as_of.isoformat()}", "late-payers")

    changes = reads.read(sprint.late_payer_changes, as_of=as_of, unit=unit)
    with st.expander(ui.t("late_payers_changes", count=i18n.number(len(changes), lang))):
        ui.table(changes.assign(change=changes["change"].map(lambda c: ui.t(f"change_{c}"))),
                 {"employer_name": "late_payers_employer_name", "change": "change", "amount": "late_payers_amount",
                  "previous_amount": "previous_amount", "unit_name": "collecting_unit"})

    st.subheader(ui.t("late_payers_publication"))
    months = st.number_input(ui.t("late_payers_months_at_least"), min_value=1, max_value=600, value=3,
                             key="late_payers_months")
    published = reads.read(sprint.late_payers_published, as_of=as_of, unit=unit, months=int(months))
    ui.table(published, {column: f"late_payers_{column}" for column in published.columns})
    ui.download_buttons(published, f"cong-khai-no-cham-dong-{unit}-{as_of.isoformat()}", "published")
    st.download_button(ui.t("late_payers_pdf"),
                       data=reads.read_later(sprint.late_payers_pdf, as_of=as_of, unit=unit, months=int(months), lang=lang),
                       file_name=f"cong-khai-no-cham-dong-{unit}-{as_of.isoformat()}.pdf", mime="application/pdf",
                       on_click="ignore", icon=":material/picture_as_pdf:", key="published_pdf")
