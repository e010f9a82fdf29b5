"""Labels in Vietnamese and English, and numbers and dates written the way each reader expects."""
from __future__ import annotations

import functools

import pandas as pd
from babel.dates import format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
LOCALES = {"vi": "vi_VN", "en": "en_US"}


# a chart's day on its axis and a percentage's sign after the number, as the language writes them
DATE_TICKS = {"vi": "%d/%m", "en": "%b %d"}
PERCENT_SIGN = {"vi": " %", "en": "%"}


# Babel reads a locale's data when first asked (15 ms): a command that writes no number never asks.
@functools.cache
def plotly_separators(lang: str) -> str:
    """Plotly's decimal and thousands characters, the locale's (1.234.567,5 in Vietnamese)."""
    return get_decimal_symbol(LOCALES[lang]) + get_group_symbol(LOCALES[lang])


@functools.cache
def _separators(lang: str) -> dict[int, str]:
    """Python's "," and "." of a formatted number, as the locale writes them."""
    return str.maketrans({",": get_group_symbol(LOCALES[lang]), ".": get_decimal_symbol(LOCALES[lang])})


LABELS: dict[str, tuple[str, str]] = {
    # navigation and sidebar
    "page_progress": ("Tiến độ toàn quốc", "Sprint progress"),
    "page_provinces": ("Các tỉnh", "Provinces"),
    "progress_of": ("Tiến độ: {unit}", "Progress: {unit}"),
    "page_leaderboard": ("Bảng xếp hạng", "Leaderboard"),
    "page_upload": ("Gửi báo cáo", "Upload"),
    "page_network": ("Mạng lưới thu", "Collection network"),
    "page_admin": ("Chỉ tiêu và đơn vị", "Targets and units"),
    "page_audit": ("Tài khoản và nhật ký", "Accounts and audit"),
    # sign-in and accounts
    "sign_in_title": ("Đăng nhập bảng theo dõi đợt thi đua", "Sign in to the sprint dashboard"),
    "sign_in_help": ("Dùng tài khoản do quản trị viên cấp. Lãnh đạo xem số liệu; thủ trưởng đơn vị gửi báo cáo "
                     "của đơn vị mình; quản trị viên quản lý chỉ tiêu, đơn vị và tài khoản.",
                     "Use the account an administrator gave you. Leaders read the figures; unit heads send their "
                     "own unit's reports; administrators manage targets, units and accounts."),
    "account_name": ("Tên tài khoản", "Account"),
    "password": ("Mật khẩu", "Password"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_in_provider": ("Đăng nhập bằng tài khoản cơ quan", "Sign in with your organisation's account"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "signed_in_as": ("Đang đăng nhập: {name} ({role})", "Signed in as {name} ({role})"),
    "sign_in_wrong": ("Tên tài khoản hoặc mật khẩu không đúng.", "The name or the password is wrong."),
    "sign_in_wait": ("Đăng nhập sai nhiều lần: hãy chờ {seconds} giây rồi thử lại.",
                     "Too many failed sign-ins: wait {seconds} seconds and try again."),
    "sign_in_unknown_identity": ("Danh tính {email} chưa được cấp tài khoản; hãy liên hệ quản trị viên.",
                                 "{email} has no account here; ask an administrator for one."),
    "session_expired": ("Phiên làm việc đã hết hạn; hãy đăng nhập lại.", "Your session has ended; sign in again."),
    "demo_accounts": ("Kho số liệu thử có sẵn các tài khoản: {accounts}.",
                      "The demo store has these accounts: {accounts}."),
    "role_leader": ("lãnh đạo", "leader"),
    "role_unit": ("thủ trưởng đơn vị", "unit head"),
    "role_admin": ("quản trị viên", "administrator"),
    "role": ("Vai trò", "Role"),
    "email": ("E-mail", "E-mail"),
    "disabled": ("Đã khóa", "Disabled"),
    "created_at": ("Tạo lúc", "Created"),
    "last_sign_in": ("Đăng nhập gần nhất", "Last sign-in"),
    "accounts": ("Tài khoản", "Accounts"),
    "add_account": ("Thêm tài khoản", "Add an account"),
    "account_added": ("Đã thêm tài khoản {name}.", "Account {name} added."),
    "disable_account": ("Khóa tài khoản", "Disable the account"),
    "enable_account": ("Mở khóa tài khoản", "Enable the account"),
    "account_changed": ("Đã cập nhật tài khoản {name}.", "Account {name} updated."),
    "audit_log": ("Nhật ký", "Audit log"),
    "audit_help": ("Mọi lần gửi tệp (nhận, từ chối hay đã nhận trước đó), mọi số liệu được sửa (giá trị cũ → mới), "
                   "mọi lần nạp chỉ tiêu hay đơn vị, mọi thay đổi tài khoản và mọi lần đăng nhập.",
                   "Every upload (taken, rejected or already taken), every corrected count (old → new), every load of "
                   "targets or units, every account change and every sign-in."),
    "since": ("Từ ngày", "Since"),
    "all": ("(tất cả)", "(all)"),
    "logged_at": ("Thời điểm", "When"),
    "audit_kind": ("Loại", "Kind"),
    "count_date": ("Ngày số liệu", "Date of the count"),
    "row_count": ("Số dòng", "Rows"),
    "template_help": ("Mẫu ghi sẵn ngày {day} và các đơn vị cơ sở của bạn; ô để trống là chưa báo cáo. Các chỉ "
                      "số người tham gia ghi số người; tổng thu và nợ chậm đóng ghi theo triệu đồng. "
                      "Mẫu dọc có thêm số báo cáo gần nhất (last_value, last_date) để đối chiếu.",
                      "The templates are dated {day} and list your grassroots units; an empty cell means not "
                      "reported. Participants are in people; revenue and late-payment debt in million VND."
                      " The long one also shows each unit's last report (last_value, last_date)."),
    "of_target_at": ("của chỉ tiêu {target} người đến {milestone}", "of the target of {target} people for {milestone}"),
    "of_plan_money": ("của kế hoạch {target} triệu đồng đến {milestone}", "of the plan of {target} million VND for {milestone}"),
    "million_vnd": ("triệu đồng", "million VND"),
    "people_missing": ("người còn thiếu", "people still missing"),
    "campaign": ("Đợt thi đua", "Campaign"),
    "late_payment_title": ("Tỷ lệ nợ chậm đóng", "Late-payment rate"),
    "finance_and_coverage": ("Thu, nợ và bao phủ", "Revenue, arrears and coverage"),
    "late_payment_ceiling": ("nợ chậm đóng {debt} triệu đồng; mức trần {limit} (càng thấp càng tốt)",
                             "late-payment debt {debt} million VND; ceiling {limit} (lower is better)"),
    "coverage": ("Bao phủ", "Coverage"),
    "health_coverage_of": ("dân số tham gia BHYT (dân số {population})",
                           "of the population in health insurance (population {population})"),
    "labour_coverage_of": ("lực lượng lao động tham gia BHXH (lực lượng lao động {labour})",
                           "of the labour force in social insurance (labour force {labour})"),
    "corrections": ("Số liệu được sửa ({count}): giá trị cũ → mới", "Corrected counts ({count}): old → new"),
    "problem_one": ("lỗi", "problem"),
    "problem_many": ("lỗi", "problems"),
    "old_value": ("Giá trị cũ", "Old value"),
    "new_value": ("Giá trị mới", "New value"),
    "detail": ("Chi tiết", "Detail"),
    "address": ("Địa chỉ", "Address"),
    "kind_counts": ("báo cáo số liệu", "counts file"),
    "kind_correction": ("sửa số liệu", "correction"),
    "kind_reference": ("số liệu các năm trước", "earlier years' counts"),
    "kind_targets": ("nạp chỉ tiêu", "targets file"),
    "kind_units": ("nạp đơn vị", "units file"),
    "kind_campaign": ("nạp đợt thi đua", "campaign"),
    "kind_account": ("tài khoản", "account"),
    "kind_sign_in": ("đăng nhập", "sign-in"),
    "kind_collectors": ("nạp mạng lưới thu", "collection network file"),
    "kind_network_targets": ("nạp chỉ tiêu mạng lưới thu", "network targets file"),
    "kind_network": ("báo cáo của mạng lưới thu", "collection network report"),
    "outcome_already_taken": ("đã nhận trước đó", "already taken"),
    "outcome_ok": ("thành công", "succeeded"),
    "outcome_failed": ("thất bại", "failed"),
    "outcome_throttled": ("bị chặn tạm thời", "held back"),
    "outcome_added": ("thêm mới", "added"),
    "outcome_disabled": ("khóa", "disabled"),
    "outcome_enabled": ("mở khóa", "enabled"),
    "outcome_password_changed": ("đổi mật khẩu", "password changed"),
    "upload_scope": ("Tài khoản của bạn gửi báo cáo cho {unit} và các đơn vị trực thuộc.",
                     "Your account sends reports for {unit} and the units under it."),
    "partial_day_offered": ("Số liệu đến ngày {complete} (ngày đủ báo cáo gần nhất). Ngày {day}: mới có {done}/{total} "
                            "đơn vị báo cáo.",
                            "Figures as of {complete}, the latest complete day. {day}: {done} of {total} units have "
                            "reported so far."),
    "see_partial_day": ("Vẫn xem ngày {day}", "See {day} anyway"),
    "partial_day_shown": ("Ngày {day} mới có {done}/{total} đơn vị báo cáo: số của các đơn vị chưa báo cáo được giữ "
                          "như lần báo cáo trước, nên tiến độ, nhịp 7 ngày và dự báo của ngày này chưa đầy đủ.",
                          "{day}: only {done} of {total} units have reported so far. The others' counts are carried "
                          "forward from their last report, so this day's progress, 7-day pace and projection are "
                          "not complete."),
    "back_to_complete_day": ("Về ngày đủ báo cáo {complete}", "Back to {complete}, the latest complete day"),
    "page_not_allowed": ("Trang này không dành cho tài khoản {role}; hãy chọn một trang ở thanh bên.",
                         "This page is not open to a {role}'s account; choose a page in the sidebar."),
    "no_entries": ("Không có mục nào.", "No entries."),
    "language": ("Ngôn ngữ", "Language"),
    "as_of": ("Số liệu đến ngày", "As of"),
    "my_unit": ("Đơn vị của tôi", "My unit"),
    "none": ("(chưa chọn)", "(none)"),
    "live": ("Trực tiếp", "Live"),
    "link_to_view": ("Liên kết đến trang này", "Link to this view"),
    "api_tokens": ("Khóa API", "API tokens"),
    "api_tokens_help": ("Khóa cho một chương trình (bảng tính, hệ thống báo cáo) đọc số liệu qua /api/v1/…, "
                        "trong phạm vi tài khoản của bạn.",
                        "A key for a program (a spreadsheet, a reporting system) to read the figures through "
                        "/api/v1/…, within your account's scope."),
    "token_name": ("Dùng cho", "What it is for"),
    "token_days": ("Số ngày hiệu lực", "Days valid"),
    "token_create": ("Tạo khóa", "Make a token"),
    "token_shown_once": ("Sao chép khóa ngay: khóa chỉ hiện lần này.", "Copy the token now: it is shown this once."),
    "token_revoked": ("đã thu hồi", "revoked"),
    "token_until": ("hiệu lực đến {day}", "valid until {day}"),
    "token_revoke": ("Thu hồi", "Revoke"),
    "use": ("lượt dùng", "use"),
    "uses": ("lượt dùng", "uses"),
    "link_to_view_help": ("Sao chép và gửi: người nhận mở đúng trang, ngày và lựa chọn đang xem.",
                          "Copy and send it: it opens this page with the same day and choices."),
    "link_values_dropped": ("Liên kết có giá trị không dùng được ({names}), đã bỏ qua: trang hiển thị lựa chọn mặc định.",
                            "The link has values that cannot be used ({names}); they were left out and the page "
                            "shows its defaults."),
    # a replica that cannot reach PostgreSQL (sprint.postgres): it keeps showing what it has
    "record_unreachable": ("Mất kết nối với cơ sở dữ liệu trung tâm: số liệu dừng ở lần cập nhật cuối, "
                           "đang kết nối lại", "The central database cannot be reached: the figures are "
                           "those of the last update; reconnecting"),
    # the time of the last report received, not the date the figures run to (the as-of date)
    "last_report_received": ("Báo cáo mới nhất nhận lúc {moment}", "Last report received {moment}"),
    "latest_uploads": ("Các tệp nhận gần nhất", "Latest files received"),
    "rows": ("dòng", "rows"),
    "row": ("dòng", "row"),
    "units": ("đơn vị", "units"),
    "empty_store": ("Chưa có số liệu nào. Hãy gửi báo cáo ngày ở trang «Gửi báo cáo».",
                    "The store has no reports yet. Send the day's file on the Upload page."),
    # progress
    "phase": ("Giai đoạn {phase}", "Phase {phase}"),
    "phase_caption": ("Giai đoạn {phase}: {starts} – {milestone} · còn {days} ngày đến mốc",
                      "Phase {phase}: {starts} – {milestone} · {days} days to the milestone"),
    "campaign_ended": ("Đợt thi đua đã kết thúc ngày {day}: kết quả cuối cùng", "Campaign ended {day}: final result"),
    "unit": ("Đơn vị", "Unit"),
    "value": ("Số người tham gia", "Participants"),
    "target": ("Chỉ tiêu", "Target"),
    "attainment": ("Đạt", "Attained"),
    "gap": ("Còn thiếu", "Gap"),
    "required_daily": ("Cần thêm mỗi ngày", "Needed per day"),
    "pace_7d": ("Tốc độ 7 ngày qua", "Pace, last 7 days"),
    "value_year_before": ("Cùng kỳ năm trước", "A year earlier"),
    "change_year": ("Tăng so với cùng kỳ", "Change over a year"),
    "change_year_pct": ("Tăng so với cùng kỳ (%)", "Change over a year (%)"),
    "change_since_year_end": ("Tăng so với 31/12 năm trước", "Change since 31 Dec"),
    "year_before_line": ("Cùng kỳ {day}: {value} · {change} ({pct})", "A year earlier ({day}): {value} · {change} ({pct})"),
    "year_before_none": ("Chưa có số liệu cùng kỳ {day}", "No figure for {day}, a year earlier"),
    "since_year_end_line": ("So với {day}: {change}", "Since {day}: {change}"),
    "a_day": ("{amount}/ngày", "{amount} a day"),
    "less_than_one": ("dưới 1", "less than 1"),
    # the data contract's projection: the 7-day pace carried to the milestone (not the forecast's band)
    "projected": ("Đến mốc theo tốc độ 7 ngày", "At the 7-day pace, by the milestone"),
    "status": ("Tình trạng", "Status"),
    "no_target": ("{unit} không có chỉ tiêu cho chỉ số này.", "{unit} has no target for this metric."),
    "no_data_unit": ("{unit} chưa có số liệu đến ngày {as_of}.", "{unit} has no data up to {as_of}."),
    "burnup": ("Tiến độ so với chỉ tiêu", "Progress against target"),
    "actual": ("Thực tế", "Actual"),
    "target_path": ("Lộ trình chỉ tiêu", "Target path"),
    "projection": ("Dự báo", "Projection"),
    "band": ("Khoảng dự báo 80 %", "80% forecast band"),
    "chance_by": ("**{chance}** khả năng đạt mốc {milestone}", "**{chance}** likely by {milestone}"),
    "your_share": ("Phần của đơn vị, để chính mình và {parent} đạt mốc: **+{share}**/ngày",
                   "Your share, for your own target and {parent}'s: **+{share}** a day"),
    "forecast_model": ("Khả năng đạt mốc: giá trị ở mốc = hôm nay + mức tăng bình quân mỗi tuần của 4 tuần gần nhất × số "
                       "tuần còn lại (ngày cuối tuần tính theo nhịp báo cáo thực tế). Dải 80 % trên biểu đồ rộng theo độ "
                       "dao động giữa các tuần; xác suất là phần của dải vượt chỉ tiêu.",
                       "Chance of the milestone: the value on it = today's + the mean weekly addition of the last 4 "
                       "weeks × the weeks left (weekends count as much as they really add). The 80% band on the chart "
                       "widens with how much the weeks varied; the chance is the share of it above the target."),
    "chance": ("Khả năng đạt mốc", "Chance of milestone"),
    "chance_all": ("Khả năng đạt hết", "Chance of all"),  # a narrow column: the caption below says it whole
    "chance_all_help": ("Khả năng mọi chỉ số đều đạt mốc: tích khả năng của từng chỉ số (coi như độc lập với nhau), "
                        "không bao giờ cao hơn khả năng của chỉ số khó đạt nhất, ghi bên cạnh.",
                        "The chance that every metric makes its milestone: the product of each metric's chance (taken "
                        "as independent of each other), never above that of the weakest metric, shown beside it."),
    "weakest_metric": ("Chỉ số khó đạt nhất", "Weakest metric"),
    "no_chance": ("Lý do không tính", "Why no chance"),
    # why a chance is withheld (sprint.forecast's no_chance): a word for a table, a sentence for a card
    "no_chance_few_reports": ("ít báo cáo", "few reports"),
    "no_chance_few_reports_why": ("Không tính khả năng đạt mốc: chỉ báo cáo {days} trong {of} ngày qua",
                                  "No chance given: reported on only {days} of the last {of} days"),
    "allocation": ("Phân bổ phần còn thiếu của {unit} đến mốc {milestone}", "Who must add what for {unit} by {milestone}"),
    "allocation_help": ("Phần phải thêm = số người đơn vị còn thiếu so với chỉ tiêu của chính mình, cộng phần (theo chỉ tiêu) "
                        "của số cấp trên còn thiếu ngoài các phần đó; đơn vị đã đạt chỉ tiêu không phải thêm: mọi đơn vị "
                        "đạt phần của mình thì mọi đơn vị và cấp trên đều đạt chỉ tiêu.",
                        "Share = what the unit must add to reach its own target, plus its part (by target) of what the "
                        "parent needs beyond that; a unit at its target gets none: every share met, every unit and the "
                        "parent make their targets."),
    "share": ("Phần phải thêm", "Share to add"),
    "share_daily": ("Mỗi ngày", "Per day"),
    "data_quality": ("Chất lượng số liệu", "Data quality"),
    "data_quality_help": ("Báo cáo ngày {day} có dấu hiệu sai: chỉ để kiểm tra lại, không chặn báo cáo nào.",
                          "Reports for {day} that look wrong: for a second look, none is held back."),
    "no_flags": ("Không có báo cáo bất thường ngày {day}.", "No report looks wrong for {day}."),
    "flags_found": ("{count} điểm cần xem lại trong tệp (vẫn có thể gửi):",
                    "To look at again in the file ({count}; it can still be sent):"),
    "flag": ("Điểm cần xem", "What looks wrong"),
    "flag_jump": ("Tăng bất thường: {previous} → {value} (thường {usual}/ngày)",
                  "Unusual rise: {previous} → {value} (usually {usual} a day)"),
    "flag_drop": ("Giảm bất thường: {previous} → {value} (thường {usual}/ngày)",
                  "Unusual fall: {previous} → {value} (usually {usual} a day)"),
    "flag_copied": ("Mọi chỉ tiêu giống hệt báo cáo trước, trong khi phần lớn đơn vị cùng cấp đều thay đổi",
                    "Every metric equals the previous report while most peers moved"),
    "flag_silent": ("Không báo cáo {usual} ngày báo cáo gần nhất", "Missed the last {usual} reporting days"),
    "flag_above_population": ("Số người ({value}) vượt dân số ({usual})",
                              "The count ({value}) is above the population ({usual})"),
    "briefing_download": ("Tải bản tin sáng (PDF): {unit}", "Download the morning briefing (PDF): {unit}"),
    "milestone": ("Mốc", "Milestone"),
    "reporting": ("Tình hình gửi báo cáo", "Reporting"),
    "reported_count": ("{done}/{total} đơn vị cơ sở đã báo cáo ngày {as_of}",
                       "{done} of {total} grassroots units reported for {as_of}"),
    "not_reported": ("Đơn vị chưa báo cáo", "Units that have not reported"),
    "last_report": ("Báo cáo gần nhất", "Last report"),
    "parent": ("Trực thuộc", "Under"),
    "download_csv": ("Tải CSV", "Download CSV"),
    "download_xlsx": ("Tải Excel", "Download Excel"),
    "all_reported": ("Tất cả đơn vị đã báo cáo.", "Every unit has reported."),
    "scope": ("Phạm vi", "Scope"),
    # provinces
    "heatmap": ("Tỷ lệ đạt chỉ tiêu mốc hiện tại (%), đơn vị có mức trung bình thấp nhất ở trên",
                "Attainment of the current milestone (%), the lowest average first"),
    "metric": ("Chỉ số", "Metric"),
    "choose_account": ("Chọn một tài khoản", "Choose an account"),
    "gap_chart": ("Số người còn thiếu so với mốc {milestone}", "People still missing for the {milestone} milestone"),
    "drill": ("Xem chi tiết tỉnh", "Drill down to a province"),
    "click_to_drill": ("Bấm vào thanh của một tỉnh để xem các đơn vị cơ sở của tỉnh đó.",
                       "Click a province's bar to see its grassroots units."),
    "all_provinces": ("(tất cả các tỉnh)", "(all provinces)"),
    "trends": ("Xu hướng từng đơn vị (% chỉ tiêu năm)", "Each unit's trend (% of annual plan)"),
    "replace_all": ("Tệp này là toàn bộ bảng chỉ tiêu: xóa các chỉ tiêu của đợt thi đua không có trong tệp",
                    "This file is the whole targets table: drop the campaign's targets it leaves out"),
    "trends_help": ("Mỗi đường là một đơn vị (di chuột để xem tên); đơn vị của bạn được tô màu.",
                    "Each line is one unit (hover to see its name); your unit is in colour."),
    "no_children": ("{unit} không có đơn vị trực thuộc có chỉ tiêu.", "{unit} has no sub-units with targets."),
    # leaderboard
    "level": ("Cấp", "Level"),
    "level_province": ("Tỉnh, thành phố", "Provinces"),
    "level_grassroots": ("BHXH cơ sở toàn quốc", "Grassroots units, nationwide"),
    "level_grassroots_in": ("BHXH cơ sở trong tỉnh", "Grassroots units in a province"),
    "province": ("Tỉnh", "Province"),
    "all_metrics": ("Tất cả chỉ số", "All metrics"),
    "rank": ("Hạng", "Rank"),
    "change": ("Thay đổi", "Change"),
    "score": ("Điểm (% đạt)", "Score (% attained)"),
    "above": ("Xếp trên bạn", "Just above you"),
    "below": ("Xếp dưới bạn", "Just below you"),
    "you": ("Đơn vị của bạn", "Your unit"),
    "points": ("điểm", "points"),
    "not_ranked": ("{unit} chưa được xếp hạng ở bảng này.", "{unit} is not ranked on this board."),
    "top_movers": ("Tăng hạng nhiều nhất trong tuần", "Top movers of the week"),
    "place": ("bậc", "place"),
    "places": ("bậc", "places"),
    "no_movers": ("Không đơn vị nào tăng hạng trong 7 ngày qua.", "No unit moved up in the last 7 days."),
    "no_ranking": ("Chưa có đơn vị nào có điểm cho lựa chọn này.", "No unit has a score for this choice yet."),
    # upload
    "upload_help": ("Kéo thả tệp CSV hoặc Excel báo cáo trong ngày. Tệp có lỗi sẽ không được lưu dòng nào.",
                    "Drop the day's CSV or Excel file. A file with any error is not saved at all."),
    "template_long": ("Mẫu dạng dọc (mỗi dòng một chỉ số)", "Template, long form (one metric a row)"),
    "template_wide": ("Mẫu dạng ngang (mỗi dòng một đơn vị)", "Template, wide form (one unit a row)"),
    "file": ("Tệp báo cáo", "Report file"),
    "rejected": ("Tệp {file} bị từ chối: {problems}, không dòng nào được lưu. Hãy sửa tệp và gửi lại.",
                 "{file} was rejected: {problems}, nothing was saved. Correct the file and send it again."),
    "line": ("Dòng", "Line"),
    "column": ("Cột", "Column"),
    "cell": ("Giá trị", "Value"),
    "problem": ("Lỗi", "What is wrong"),
    "preview": ("Xem trước: {rows} — {new} mới, {corrected} sửa, {unchanged} không đổi",
                "Preview: {rows} — {new} new, {corrected} corrected, {unchanged} unchanged"),
    "warnings": ("{count} cảnh báo: số liệu tăng hoặc giảm hơn 20% so với lần báo cáo trước.",
                 "Warnings ({count}): counts that rise or fall more than 20% against the previous report."),
    "confirm_warnings": ("Tôi đã kiểm tra, các số liệu này đúng", "I have checked: these counts are right"),
    "commit": ("Lưu báo cáo", "Commit the report"),
    "committed": ("Đã lưu {file}: {new} số liệu mới, {corrected} số liệu sửa, {unchanged} không đổi.",
                  "{file} committed: {new} new values, {corrected} corrected, {unchanged} unchanged."),
    "already_taken": ("Tệp {file} đã được nhận trước đó; không có gì thay đổi.",
                      "{file} was already taken; nothing changed."),
    "history": ("Lịch sử gửi báo cáo", "Upload history"),
    "received_at": ("Thời gian", "Time"),
    "outcome": ("Kết quả", "Outcome"),
    "uploaded_by": ("Người gửi", "Sent by"),
    "kind": ("Loại", "Kind"),
    "outcome_committed": ("đã lưu", "committed"),
    "outcome_rejected": ("bị từ chối", "rejected"),
    # admin
    "units_file": ("Tệp danh sách đơn vị", "Units file"),
    "targets_file": ("Tệp chỉ tiêu (thay toàn bộ chỉ tiêu của đợt thi đua)",
                     "Targets file (replaces every target of the campaign)"),
    "load": ("Nạp tệp", "Load the file"),
    "loaded": ("Đã nạp {file}: {rows} dòng.", "{file} loaded: {rows} rows."),
    "unit_tree": ("Cây đơn vị", "Unit tree"),
    "targets_table": ("Chỉ tiêu", "Targets"),
    "name": ("Tên", "Name"),
    "population": ("Dân số", "Population"),
    "labour_force": ("Lực lượng lao động", "Labour force"),
    "late_payment": ("Tỷ lệ nợ chậm đóng (cả nước: không quá {limit}; đơn vị có mức trần riêng thì theo mức đó)",
                     "Late-payment rate (the nation's ceiling {limit}; a unit with its own is judged by its own)"),
    "limit_pct": ("Mức trần", "Ceiling"),
    "target_groups": ("Nhóm đối tượng trọng tâm (Công văn 2440)", "Target groups (dispatch 2440)"),
    "target_groups_help": ("Người tham gia mới của từng nhóm từ ngày {baseline}, so với số mới mà chỉ tiêu của nhóm "
                           "yêu cầu. Số của nhóm là một phần của chỉ số, không cộng thêm vào chỉ số.",
                           "Each group's new participants since {baseline}, against the new participants its "
                           "target asks for. A group's count is part of its metric's, never added to it."),
    "target_group": ("Nhóm", "Group"),
    "new_since_baseline": ("Mới từ ngày gốc", "New since baseline"),
    "new_needed": ("Cần mới", "New needed"),
    "of_needed": ("Đạt", "Reached"),
    "compare_group": ("So sánh theo nhóm đối tượng", "Compare on a target group"),
    "reference_history": ("Số liệu các năm trước", "Earlier years"),
    "network_of": ("Mạng lưới thu của {unit}", "Collection network of {unit}"),
    "network_help": ("Tổ chức dịch vụ thu, điểm thu và nhân viên thu do {unit} và các đơn vị trực thuộc ký hợp đồng. "
                     "Số của mỗi điểm thu, nhân viên thu là số người tham gia mới do họ vận động được từ ngày {baseline} "
                     "(báo cáo gần nhất đến ngày {as_of}); số của tổ chức là tổng của các điểm thu, nhân viên thu "
                     "thuộc tổ chức. Số liệu của mạng lưới không cộng vào số của đơn vị.",
                     "Service organisations, collection points and collection staff contracted by {unit} and the "
                     "units under it. A point's or staff member's figure is the new participants they brought in "
                     "since {baseline} (their latest report up to {as_of}); an organisation's is the sum of its "
                     "points' and staff's. The network's figures never add to the unit's."),
    "no_network": ("{unit} và các đơn vị trực thuộc chưa có mạng lưới thu nào (quản trị viên nạp danh sách ở trang "
                   "Chỉ tiêu và đơn vị).",
                   "No collection network is contracted by {unit} or the units under it (an administrator loads "
                   "it on the Targets and units page)."),
    "grassroots_unit": ("Đơn vị cơ sở", "Grassroots unit"),
    "whole_unit": ("Toàn {unit}", "All of {unit}"),
    "network_collected": ("Người tham gia mới do mạng lưới thu vận động", "New participants the network brought in"),
    "network_share": ("{share} số người tham gia mới của {unit} từ ngày {baseline} ({unit_new} người)",
                      "{share} of {unit}'s new participants since {baseline} ({unit_new} people)"),
    "network_attainment": ("Đạt chỉ tiêu của mạng lưới", "Of the network's targets"),
    "network_target_at": ("chỉ tiêu đến ngày {milestone}: {target} người", "target by {milestone}: {target} people"),
    "network_size": ("Quy mô mạng lưới", "The network"),
    "network_counts": ("{organisations} tổ chức dịch vụ thu · {points} điểm thu · {staff} nhân viên thu",
                       "{organisations} service organisations · {points} collection points · {staff} collection staff"),
    "network_reporting": ("{reporting} điểm thu và nhân viên thu đã báo cáo", "{reporting} points and staff have reported"),
    "collector_point": ("Điểm thu", "Collection points"),
    "collector_staff": ("Nhân viên thu", "Collection staff"),
    "collector_organisation": ("Tổ chức dịch vụ thu", "Service organisations"),
    "collector_code": ("Mã", "Code"),
    "organisation": ("Tổ chức", "Organisation"),
    "contracted_by": ("Đơn vị ký hợp đồng", "Contracted by"),
    "collected": ("Vận động được", "Brought in"),
    "rank_among": ("Xếp hạng", "Rank the"),
    "share_of_unit": ("Tỷ trọng", "Share"),
    "last_reported": ("Báo cáo gần nhất", "Last report"),
    "upload_kind": ("Gửi", "Sending"),
    "upload_kind_counts": ("Số liệu của đơn vị", "A unit's counts"),
    "upload_kind_network": ("Báo cáo của mạng lưới thu", "Collection network's report"),
    "upload_network_help": ("Mỗi dòng: ngày, mã điểm thu hoặc nhân viên thu, chỉ số và số người tham gia mới họ đã "
                            "vận động từ ngày gốc của đợt thi đua đến ngày đó (như tệp mẫu); hoặc mỗi chỉ số một cột. "
                            "Số này không cộng vào số của đơn vị.",
                            "Each row: the date, the collection point's or staff member's code (collector_code), the "
                            "metric (voluntary_si, health.family…) and the new participants they have brought in "
                            "since the campaign's baseline up to that date; or a column per metric. It never adds "
                            "to the unit's counts."),
    "page_results": ("Kết quả thi đua", "Phase results"),
    "results_title": ("Kết quả thi đua giai đoạn {phase} (mốc {milestone})", "Results of phase {phase} (milestone {milestone})"),
    "results_cutoff": ("Tính theo báo cáo nhận đến hết ngày {day}", "From the reports received by the end of {day}"),
    "results_closed": ("đã chốt lúc {moment} ({by})", "closed at {moment} ({by})"),
    "results_provisional": ("tạm tính: giai đoạn chưa được chốt", "provisional: the phase is not closed yet"),
    "results_level_province": ("Các tỉnh, thành phố", "Provinces"),
    "results_level_grassroots": ("Các đơn vị cơ sở", "Grassroots units"),
    "results_met": ("Đạt chỉ tiêu", "Targets met"),
    "results_late": ("Nợ chậm đóng / mức trần", "Late payment / ceiling"),
    "results_honour": ("Khen thưởng", "Honour"),
    "results_corrections": ("Số liệu sửa sau ngày chốt số: {count} (không làm đổi kết quả đã chốt)",
                            "Corrections received after the cut-off: {count} (a closed phase keeps its results)"),
    "results_made": ("Lập lúc {moment}", "Made at {moment}"),
    "results_phase": ("Giai đoạn", "Phase"),
    "results_phase_option": ("Giai đoạn {phase} · mốc {milestone}{state}", "Phase {phase} · milestone {milestone}{state}"),
    "results_state_closed": (" · đã chốt", " · closed"),
    "results_state_open": (" · chưa chốt", " · not closed"),
    "results_not_yet": ("Giai đoạn {phase} nhận báo cáo đến hết ngày {day}; kết quả dưới đây là tạm tính.",
                        "Phase {phase} takes reports until the end of {day}; the results below are provisional."),
    "results_provisional_note": ("Kết quả tạm tính từ báo cáo nhận đến ngày chốt số {day}; quản trị viên chốt giai đoạn "
                                 "để cố định kết quả.",
                                 "Provisional, from the reports received by the cut-off {day}; an administrator "
                                 "closes the phase to freeze them."),
    "results_closed_note": ("Đã chốt lúc {moment} ({by}). Số liệu sửa sau đó chỉ làm đổi số liệu trực tiếp, "
                            "không đổi kết quả này.",
                            "Closed at {moment} ({by}). Later corrections change the live figures, not these results."),
    "results_close": ("Chốt kết quả giai đoạn {phase}", "Close phase {phase}"),
    "results_closed_now": ("Đã chốt kết quả giai đoạn {phase}.", "Phase {phase} is closed."),
    "results_honours": ("Khen thưởng", "Honours"),
    "results_no_honour": ("Chưa đơn vị nào đủ điều kiện khen thưởng.", "No unit meets an honour's conditions."),
    "results_every_met": ("Đạt mọi chỉ tiêu", "Every target met"),
    "results_within": ("Trong mức trần nợ", "Within the ceiling"),
    "results_late_corrections": ("Số liệu sửa sau ngày chốt số ({count})", "Corrections after the cut-off ({count})"),
    "results_value_at_cutoff": ("Số khi chốt", "At the cut-off"),
    "results_pdf": ("Tải kết quả (PDF)", "Download the results (PDF)"),
    "results_margin": ("Chênh lệch", "Margin"),
    "results_by_metric": ("Theo từng chỉ số", "Metric by metric"),
    "kind_phase": ("chốt giai đoạn", "phase closed"),
    "alert_subject": ("Sprint BHXH: {count} cảnh báo mới", "Sprint BHXH: {count} new alerts"),
    "alert_greeting": ("Các cảnh báo mới về đơn vị của bạn và các đơn vị trực thuộc:",
                       "New alerts about your unit and the units under it:"),
    "alert_more": ("… và {count} cảnh báo khác (xem chuông trên trang).", "… and {count} more (see the bell on the page)."),
    "alert_not_reported": ("{unit} chưa gửi báo cáo ngày {detail}.", "{unit} has not reported for {detail}."),
    "alert_behind": ("{unit}: {metric} chuyển sang chậm tiến độ ({detail} chỉ tiêu mốc).",
                     "{unit}: {metric} is now behind ({detail} of the milestone's target)."),
    "alert_low_chance": ("{unit}: khả năng đạt mốc của {metric} chỉ còn {detail}.",
                         "{unit}: the chance of {metric} making its milestone is down to {detail}."),
    "alert_over_ceiling": ("{unit}: tỷ lệ nợ chậm đóng vượt mức trần ({detail}).",
                           "{unit}: the late-payment rate is over its ceiling ({detail})."),
    "alert_flagged": ("{unit}: báo cáo có dấu hiệu bất thường: {detail} {metric}.",
                      "{unit}: a report looks wrong: {detail} {metric}."),
    "alert_flag_jump": ("tăng bất thường", "an unusual jump"), "alert_flag_drop": ("giảm bất thường", "an unusual drop"),
    "alert_flag_copied": ("giống hệt báo cáo trước", "a copy of the report before"),
    "alert_flag_silent": ("nhiều ngày không báo cáo", "silent for days"),
    "alert_flag_above_population": ("vượt dân số", "above the population"),
    "alerts_bell": ("Cảnh báo", "Alerts"),
    "alerts_none": ("Không có cảnh báo nào.", "No alerts."),
    "alerts_seen": ("Đánh dấu đã xem", "Mark as seen"),
    "alerts_open": ("Xem", "Open"),
    "kind_late_payers": ("danh sách nợ chậm đóng", "late payers file"),
    "upload_kind_late_payers": ("Danh sách nợ chậm đóng", "Late payers list"),
    "page_late_payers": ("Đơn vị nợ chậm đóng", "Late payers"),
    "late_payers_of": ("Đơn vị nợ chậm đóng của {unit}", "Late payers of {unit}"),
    "late_payers_help": ("Danh sách gần nhất của từng đơn vị thu đến ngày {day}: số tiền nợ lớn nhất trước, rồi số "
                         "tháng chậm đóng.", "Each collecting unit's latest list up to {day}: the largest debt first, "
                         "then the oldest."),
    "late_payers_none": ("{unit} chưa gửi danh sách nợ chậm đóng nào.", "{unit} has sent no late payers list."),
    "late_payers_total": ("{employers} đơn vị sử dụng lao động nợ {debt} triệu đồng",
                          "{employers} employers owe {debt} million VND"),
    "late_payers_check_line": ("Số nợ của {unit} trong báo cáo: {late_debt} triệu đồng; chênh lệch với tổng danh "
                               "sách: {difference} triệu đồng ({pct}).",
                               "{unit}'s late-payment debt as reported: {late_debt} million VND; against the lists' "
                               "sum: {difference} million VND ({pct})."),
    "late_payers_changes": ("Thay đổi so với danh sách trước ({count})", "Changes since the list before ({count})"),
    "late_payers_publication": ("Danh sách công khai (chỉ các thông tin được công bố)",
                                "The list for publication (only the published fields)"),
    "late_payers_publication_title": ("Danh sách đơn vị nợ chậm đóng BHXH, BHYT, BHTN của {unit} đến ngày {day}",
                                      "Employers late on their contributions, {unit}, to {day}"),
    "late_payers_employer_code": ("Mã đơn vị", "Employer code"),
    "late_payers_employer_name": ("Tên đơn vị", "Employer"),
    "late_payers_amount": ("Số tiền nợ (đồng)", "Amount owed (VND)"),
    "late_payers_months_late": ("Số tháng chậm đóng", "Months late"),
    "late_payers_months_at_least": ("Công khai các đơn vị chậm đóng từ (tháng)", "Publish employers late by (months)"),
    "late_payers_pdf": ("Tải danh sách công khai (PDF)", "Download the list for publication (PDF)"),
    "change": ("Thay đổi", "Change"),
    "change_new": ("mới", "new"), "change_grew": ("tăng", "grew"), "change_shrank": ("giảm", "shrank"),
    "change_same": ("như cũ", "same"), "change_cleared": ("đã trả hết", "cleared"),
    "previous_amount": ("Lần trước", "Before"),
    "collecting_unit": ("Đơn vị thu", "Collecting unit"),
    "kind_subscription": ("đăng ký bản tin", "subscription"),
    "kind_delivery": ("gửi bản tin", "briefing sent"),
    "outcome_sent": ("đã gửi", "sent"),
    "outcome_interrupted": ("bị gián đoạn", "interrupted"),
    "outcome_removed": ("đã hủy", "removed"),
    "mail_subject": ("Bản tin sáng {unit} · số liệu đến ngày {day}", "Morning briefing {unit} · figures to {day}"),
    "mail_greeting": ("Bản tin sáng của {unit}, số liệu đến ngày {day} (tệp PDF đính kèm):",
                      "The morning briefing of {unit}, figures to {day} (the PDF is attached):"),
    "mail_figure": ("- {metric}: {value} · đạt {attainment} chỉ tiêu mốc · còn thiếu {gap} · {status}",
                    "- {metric}: {value} · {attainment} of the milestone's target · {gap} missing · {status}"),
    "mail_reported": ("{done}/{total} đơn vị đã báo cáo.", "{done} of {total} units have reported."),
    "mail_footer": ("Thư gửi tự động theo đăng ký của bạn trên Sprint BHXH; hủy đăng ký ở trang Tiến độ.",
                    "Sent by Sprint BHXH as you subscribed; unsubscribe on the Sprint progress page."),
    "subscribe_title": ("Nhận bản tin qua e-mail", "The briefing by e-mail"),
    "subscribe_frequency": ("Tần suất", "How often"),
    "frequency_daily": ("Hằng ngày", "Daily"),
    "frequency_weekly": ("Hằng tuần", "Weekly"),
    "subscribe_at": ("Giờ gửi (giờ Việt Nam)", "At (Vietnam's time)"),
    "subscribe_weekday": ("Thứ", "Weekday"),
    "subscribe_button": ("Đăng ký", "Subscribe"),
    "subscribed": ("Bạn nhận bản tin của {unit} {frequency} lúc {at} tại {email}.",
                   "You receive the briefing of {unit} {frequency} at {at} at {email}."),
    "unsubscribe_button": ("Hủy đăng ký", "Unsubscribe"),
    "subscribe_no_email": ("Tài khoản của bạn chưa có địa chỉ e-mail; hãy nhờ quản trị viên thêm.",
                           "Your account has no e-mail address; ask an administrator to add one."),
    "subscribe_accounts": ("Đăng ký bản tin cho các tài khoản (mỗi người nhận số liệu của đơn vị mình)",
                           "Subscribe accounts to the briefing (each receives their own unit's)"),
    "weekday_1": ("Thứ Hai", "Monday"), "weekday_2": ("Thứ Ba", "Tuesday"), "weekday_3": ("Thứ Tư", "Wednesday"),
    "weekday_4": ("Thứ Năm", "Thursday"), "weekday_5": ("Thứ Sáu", "Friday"), "weekday_6": ("Thứ Bảy", "Saturday"),
    "weekday_7": ("Chủ nhật", "Sunday"),
    "delivery_period": ("Kỳ gửi gần nhất", "Last period"),
    "outcome_sending": ("đang gửi", "sending"),
    "subscriptions_table": ("Các đăng ký bản tin", "Subscriptions to the briefing"),
    "outcome_closed": ("đã chốt", "closed"),
    "network_admin_help": ("Mạng lưới thu: mỗi tổ chức dịch vụ thu, điểm thu, nhân viên thu thuộc đơn vị ký hợp đồng "
                           "với họ (kind: organisation, point hoặc staff; điểm thu và nhân viên thu ghi mã tổ chức của "
                           "mình). Chỉ tiêu của họ là số người tham gia mới cần vận động đến mỗi mốc. Điểm thu và nhân "
                           "viên thu gửi báo cáo ở trang Gửi báo cáo.",
                           "The collection network: each service organisation, collection point and staff member "
                           "under the unit that contracts it (kind: organisation, point or staff; a point or staff "
                           "member names its organisation). Their targets are the new participants to bring in by "
                           "each milestone. Points and staff send their reports on the Upload page."),
    "network_file": ("Danh sách mạng lưới thu (mã, loại, tên, đơn vị ký hợp đồng, tổ chức)",
                     "The collection network's list (collector_code, kind, name, unit_code, organisation)"),
    "network_targets_file": ("Chỉ tiêu của mạng lưới thu (mã, chỉ số, mốc, chỉ tiêu)",
                             "The collection network's targets (collector_code, metric, milestone, target)"),
    "reference_file": ("Tệp số liệu các năm trước (CSV hoặc Excel, như tệp báo cáo hằng ngày)",
                       "Counts of earlier years (CSV or Excel, in the daily report's form)"),
    "reference_help": ("Số liệu trước năm của đợt thi đua (ví dụ cuối mỗi tháng của năm trước) để so sánh cùng kỳ "
                       "và so với 31/12 năm trước. Không tính là báo cáo của đợt thi đua.",
                       "Counts before the campaign's year (say, the end of every month of last year), for the "
                       "change over a year and since 31 December. They are not reports of the campaign."),
    "late_payment_own_ceiling": ("nợ chậm đóng {debt} triệu đồng; mức trần của đơn vị {limit}, của cả nước {national} "
                                 "(càng thấp càng tốt)",
                                 "late-payment debt {debt} million VND; the unit's own ceiling {limit}, the nation's "
                                 "{national} (lower is better)"),
    "late_debt": ("Nợ chậm đóng (triệu đồng)", "Late-payment debt (million VND)"),
    "revenue_plan": ("Kế hoạch thu năm (triệu đồng)", "Annual revenue plan (million VND)"),
    "late_payment_rate": ("Tỷ lệ nợ", "Rate"),
    # the morning briefing (sprint.briefing)
    "briefing_title": ("Bản tin sáng: {unit}", "Morning briefing: {unit}"),
    "briefing_as_of": ("Số liệu đến hết ngày {day}", "Figures as of {day}"),
    "briefing_chance_all": ("Khả năng mọi chỉ số đều đạt mốc: {chance} · khó đạt nhất: {weakest}",
                            "Chance every metric makes its milestone: {chance} · weakest: {weakest}"),
    "briefing_chance_all_withheld": ("Khả năng mọi chỉ số đều đạt mốc: không tính ({why})",
                                     "Chance every metric makes its milestone: none given ({why})"),
    "briefing_required": ("Cần/ngày", "Needed a day"),
    "briefing_value": ("Hiện có", "Current"),
    "briefing_year": ("So cùng kỳ", "On a year"),
    "briefing_late_within": ("Tỷ lệ nợ chậm đóng: {rate}, trong mức trần {limit}{own}.",
                             "Late-payment rate: {rate}, within the ceiling of {limit}{own}."),
    "briefing_late_over": ("Tỷ lệ nợ chậm đóng: {rate}, vượt mức trần {limit}{own}.",
                           "Late-payment rate: {rate}, over the ceiling of {limit}{own}."),
    "briefing_late_own": (" của đơn vị (cả nước: {national})", " (the unit's own; the nation's: {national})"),
    "briefing_behind": ("5 đơn vị chậm nhất", "Five furthest behind"),
    "briefing_gained": ("5 đơn vị tăng hạng nhiều nhất (7 ngày)", "Five that climbed most (7 days)"),
    "briefing_places": ("▲ {places} bậc", "▲ {places} places"),
    "briefing_place": ("▲ 1 bậc", "▲ 1 place"),
    "briefing_none_below": ("Không có đơn vị trực thuộc.", "No units below."),
    "briefing_no_movers": ("Không đơn vị nào tăng hạng.", "No unit climbed."),
    "briefing_reported": ("Đã báo cáo ngày {day}: {done}/{total}.", "Reported for {day}: {done} of {total}."),
    "unit_one": ("đơn vị", "unit"),
    "briefing_missing": ("Chưa báo cáo: {names}", "Not reported: {names}"),
    "briefing_more": (" và {count} đơn vị khác", " and {count} more"),
    "briefing_no_chart": ("(Không vẽ được biểu đồ trên máy này: {reason})", "(The charts could not be drawn here: {reason})"),
    "briefing_made": ("Lập lúc {moment} · Bảng theo dõi đợt thi đua BHXH", "Made {moment} · VSS sprint dashboard"),
    "within_limit": ("Trong giới hạn", "Within the limit"),
    "over_limit": ("Vượt giới hạn", "Over the limit"),
}

STATUS = {
    "achieved": ("Đã đạt", "Achieved"),
    "on_track": ("Đúng tiến độ", "On track"),
    "behind": ("Chậm tiến độ", "Behind"),
    "no_data": ("Chưa có số liệu", "No data"),
    "missed": ("Không đạt", "Missed"),  # the campaign has ended short of the target
}
# One colour per status, everywhere (charts, heatmap, badges, tables): the Okabe-Ito palette, told
# apart with any colour vision; each also has its word, so colour is never the only sign.
STATUS_COLOURS = {"achieved": "#009E73", "on_track": "#0072B2", "behind": "#D55E00", "no_data": "#BBBBBB",
                  "missed": "#CC79A7"}
STATUS_BADGES = {"achieved": "green", "on_track": "blue", "behind": "orange", "no_data": "gray", "missed": "violet"}
# each status's word shortened, for a heatmap's cell (the legend beside it has the whole word)
STATUS_SHORT = {"achieved": ("Đạt", "Met"), "on_track": ("Kịp", "On track"), "behind": ("Chậm", "Behind"),
                "no_data": ("Chưa có", "No data"), "missed": ("Không đạt", "Missed")}


def t(key: str, lang: str, **values) -> str:
    """The label for key in lang ('vi' or 'en'), with {placeholders} filled in."""
    vi, en = LABELS[key]
    text = vi if lang == "vi" else en
    return text.format(**values) if values else text


def how_many(count: int, singular: str, plural: str, lang: str) -> str:
    """A count and its noun, the noun's label singular for one (English: 1 row, 2 rows)."""
    return f"{number(count, lang)} {t(singular if count == 1 else plural, lang)}"


def status_label(status: str, lang: str) -> str:
    vi, en = STATUS.get(status, STATUS["no_data"])
    return vi if lang == "vi" else en


def status_short(status: str, lang: str) -> str:
    """The status's word as a heatmap's cell writes it (Chậm, Behind)."""
    vi, en = STATUS_SHORT.get(status, STATUS_SHORT["no_data"])
    return vi if lang == "vi" else en


def rank_change(change, lang: str) -> str:
    """▲ 2 for a unit that moved up two places, ▼ 1 down one, = unchanged, new if not ranked before."""
    if _missing(change):
        return "mới" if lang == "vi" else "new"
    change = int(change)
    if change > 0:
        return f"▲ {change}"
    if change < 0:
        return f"▼ {-change}"
    return "="


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def no_chance(reason, lang: str) -> str:
    """Why a chance is withheld (forecast's no_chance), in a word for a table's cell: ít báo cáo,
    few reports; '' where it is not."""
    return "" if _missing(reason) else t(f"no_chance_{reason}", lang)


def no_chance_why(reason, report_days, of_days: int, lang: str) -> str:
    """Why a chance is withheld, as a card's sentence (reported on only 3 of the last 14 days); ''
    where it is not."""
    return "" if _missing(reason) else t(f"no_chance_{reason}_why", lang, days=number(report_days, lang), of=of_days)


def weakest_metrics(names: pd.Series, probabilities: pd.Series, lang: str) -> pd.Series:
    """The weakest metric beside a chance of all metrics, its name and its own chance: Bảo hiểm y
    tế · 0 %; '' where there is none."""
    return pd.Series([f"{name} · {chance(probability, lang)}" if not _missing(name) else ""
                      for name, probability in zip(names, probabilities)], index=names.index, dtype="object")


def number(value, lang: str, decimals: int = 0) -> str:
    """1.234.567 in Vietnamese, 1,234,567 in English; '–' for a missing value."""
    return "–" if _missing(value) else f"{value:,.{decimals}f}".translate(_separators(lang))


def signed(value, lang: str, decimals: int = 0) -> str:
    """A difference with its sign either way: +1,09 and -0,43 (a bare 1,09 beside -0,43 reads as a level)."""
    return f"+{number(value, lang, decimals)}" if not _missing(value) and value > 0 else number(value, lang, decimals)


def signed_percent(value, lang: str, decimals: int = 2) -> str:
    """A change in %, with its sign either way: +10,22 % and -0,43 %."""
    text = percent(value, lang, decimals)
    return f"+{text}" if not _missing(value) and value > 0 else text


def numbers(values: pd.Series, lang: str, decimals: int = 0) -> pd.Series:
    """A whole column as number() writes each value (no Babel call per cell: 43,000 targets take
    40 ms rather than 2 s)."""
    return pd.Series(values, dtype="object").map(lambda value: number(value, lang, decimals))


def per_day(value, lang: str, *, unit: bool = True) -> str:
    """People a day (a need or a pace), whole: 70/ngày, 70 a day. Above 0 but below 1 it reads
    dưới 1/ngày, less than 1 a day, never a rounded 0 (3 people over 10 days still need adding).
    Without unit, the amount alone, for a column headed per day; '–' for a missing value."""
    if _missing(value):
        return "–"
    amount = t("less_than_one", lang) if 0 < value < 1 else number(value, lang)
    return t("a_day", lang, amount=amount) if unit else amount


def with_unit(name: str, kind: str, lang: str) -> str:
    """A metric's name with the unit of its money figures: Tổng thu (triệu đồng); people stay bare."""
    return f"{name} ({t('million_vnd', lang)})" if kind == "million_vnd" else name


def chance(probability, lang: str) -> str:
    """A forecast's probability (0–1) as a whole percentage: 72 %."""
    return percent(None if _missing(probability) else 100 * probability, lang, 0)


def percents(values: pd.Series, lang: str, decimals: int = 2) -> pd.Series:
    """A whole column as percent() writes each value."""
    return pd.Series(values, dtype="object").map(lambda value: percent(value, lang, decimals))


def places_gained(places: int, lang: str) -> str:
    """Places a unit moved up: ▲ 3 bậc; in English ▲ 1 place, ▲ 3 places."""
    return f"▲ {how_many(places, 'place', 'places', lang)}"


# How a table writes each kind of figure, so that one column is one precision in one language:
# people, million VND and counts whole; people a day whole, but "less than 1", never 0, for a need
# under one a day; a percentage (attainment, a score, a rate) to two decimals; a chance whole; a
# status as its word; a change (signed) with its sign either way.
FIGURES = {
    "count": lambda value, lang: number(value, lang),
    "per_day": lambda value, lang: per_day(value, lang, unit=False),
    "percent": lambda value, lang: percent(value, lang, 2),
    "signed": lambda value, lang: signed(value, lang),
    "signed_percent": lambda value, lang: signed_percent(value, lang),
    "chance": chance,
    "status": lambda code, lang: status_label(code, lang),
}


def styled(frame: pd.DataFrame, lang: str, kinds: dict[str, str] | None = None):
    """frame as a table shows it (a pandas Styler): its figures stay numbers, so a column sorts by
    value, and read as lang writes their kind (FIGURES): Streamlit's own number formats follow the
    browser's locale, not the page's language. A number column not in kinds is a count; a status
    column (status codes) reads as its word, on a tint of its colour. A kind of a column frame
    does not have is left out (one table's columns can vary with a choice)."""
    kinds = {**{column: "count" for column in frame.select_dtypes("number").columns},
             **{column: kind for column, kind in (kinds or {}).items() if column in frame.columns}}
    # a figure column with no value at all (every chance once a campaign has ended) is held as
    # objects, which Streamlit writes "None" whatever the Styler says: make it a number column
    frame = frame.assign(**{column: pd.to_numeric(frame[column]) for column, kind in kinds.items()
                            if kind != "status" and frame[column].dtype == object})
    styler = frame.style.format({column: functools.partial(FIGURES[kind], lang=lang)
                                 for column, kind in kinds.items()}, na_rep="–")
    tints = {code: f"background-color: {_tint(colour)}" for code, colour in STATUS_COLOURS.items()}
    for column in (column for column, kind in kinds.items() if kind == "status"):
        styler = styler.map(lambda code: tints.get(code, ""), subset=[column])
    return styler


def _tint(colour: str, strength: float = 0.22) -> str:
    """A light, solid tint of a #rrggbb colour: the status's colour behind dark text that stays legible."""
    channels = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - strength * (255 - channel)):02x}" for channel in channels)


def percent(value, lang: str, decimals: int = 2) -> str:
    """97,50 % in Vietnamese, 97.50% in English. A share under 100 never reads 100 (99.996 of a
    target is 99,99 %, not 100,00 %: a director reads 100 % as met)."""
    if _missing(value):
        return "–"
    if 100 - 0.5 * 10 ** -decimals <= value < 100:
        value = 100 - 10 ** -decimals
    text = number(value, lang, decimals)
    return f"{text} %" if lang == "vi" else f"{text}%"


def days(values: pd.Series, lang: str) -> pd.Series:
    """A whole column of dates as day() writes one."""
    stamps = pd.to_datetime(pd.Series(values))
    if lang == "vi":
        text = stamps.dt.strftime("%d/%m/%Y")
    else:
        text = stamps.dt.strftime("%b ") + stamps.dt.day.astype("Int64").astype(str) + stamps.dt.strftime(", %Y")
    return text.where(stamps.notna(), "–")


def day(value, lang: str) -> str:
    """20/11/2025 in Vietnamese, Nov 20, 2025 in English."""
    return "–" if _missing(value) else days(pd.Series([value]), lang).iloc[0]


def flag_texts(flags: pd.DataFrame, lang: str) -> pd.Series:
    """What each flag of sprint.anomalies says, in words (one sentence per row): each column is
    formatted whole, and each kind's sentence is looked up once (a national day can flag
    thousands of silent communes)."""
    sentences = {kind: t(f"flag_{kind}", lang) for kind in flags["kind"].unique()}
    columns = [numbers(flags[column], lang) for column in ("value", "previous", "usual")]
    return pd.Series([sentences[kind].format(value=value, previous=previous, usual=usual)
                      for kind, value, previous, usual in zip(flags["kind"], *columns)], index=flags.index, dtype=object)


def day_month(value, lang: str) -> str:
    """20/11 in Vietnamese, Nov 20 in English: a date within the campaign's year."""
    if _missing(value):
        return "–"
    stamp = pd.Timestamp(value)
    return stamp.strftime("%d/%m") if lang == "vi" else f"{stamp.strftime('%b')} {stamp.day}"


def moment(value, lang: str) -> str:
    """A time of day with its date, in Vietnam's time zone."""
    if _missing(value):
        return "–"
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("Asia/Ho_Chi_Minh")
    pattern = "HH:mm:ss dd/MM/yyyy" if lang == "vi" else "HH:mm:ss, MMM d"
    return format_datetime(stamp.to_pydatetime(), pattern, locale=LOCALES[lang])


# What can be wrong in a file, in both languages; {0}, {1}, … are the problem's details.
PROBLEMS: dict[str, tuple[str, str]] = {
    "file_empty": ("tệp trống; cần một dòng tiêu đề và ít nhất một dòng số liệu",
                   "the file is empty; it needs a header line and at least one row"),
    "file_utf16": ("tệp được lưu dạng UTF-16; hãy lưu lại dạng 'CSV UTF-8' rồi gửi lại",
                   "the file is saved as UTF-16; save it as 'CSV UTF-8' and send it again"),
    "file_binary": ("đây không phải tệp văn bản (CSV); hãy gửi tệp CSV hoặc tệp Excel .xlsx",
                    "this is not a text (CSV) file; send a CSV file or an Excel .xlsx workbook"),
    "line_not_utf8": ("dòng này có ký tự không phải UTF-8; hãy lưu tệp dạng 'CSV UTF-8'",
                      "this line has characters that are not UTF-8; save the file as 'CSV UTF-8'"),
    "excel_unreadable": ("không đọc được tệp Excel này ({0})", "this Excel workbook cannot be read ({0})"),
    "file_too_large": ("tệp nặng hơn {0} MB, mức tối đa của một tệp: hãy chia thành các tệp nhỏ hơn",
                       "the file is larger than {0} MB, the most one file may be: send it as smaller files"),
    "excel_too_large": ("tệp Excel này khi giải nén nặng {0} MB; tối đa {1} MB: hãy lưu lại chỉ với trang số liệu",
                        "this workbook unpacks to {0} MB; at most {1} MB is read: save it with the report sheet only"),
    "too_many_columns": ("tệp có hơn {0} cột, số cột tối đa của một tệp báo cáo: hãy kiểm tra đây có đúng là "
                         "tệp báo cáo", "the file has more than {0} columns, the most a report has: check that this "
                         "is the report file"),
    "header_too_long": ("dòng đầu (tên các cột) dài {0} ký tự; tối đa {1}: có thể tệp bị mất dấu xuống dòng",
                        "the first line (the column names) is {0} characters long; at most {1}: the file may have "
                        "lost its line breaks"),
    "too_many_rows": ("tệp có hơn {0} dòng, số dòng tối đa của một tệp: hãy chia thành các tệp nhỏ hơn",
                      "the file has more than {0} rows, the most one file may have: send it as smaller files"),
    "file_name_too_long": ("tên tệp dài {0} ký tự; tối đa {1}: hãy đặt tên ngắn hơn rồi gửi lại",
                           "the file name is {0} characters long; at most {1}: rename the file and send it again"),
    "file_name_control": ("tên tệp có dấu xuống dòng hoặc ký tự ẩn: hãy đặt lại tên rồi gửi lại",
                          "the file name contains a line break or another hidden character: rename the file "
                          "and send it again"),
    "file_too_slow": ("việc đọc tệp này vượt quá {0} giây nên đã dừng: hãy chia thành các tệp nhỏ hơn",
                      "reading this file took longer than {0} seconds and was stopped: send it as smaller files"),
    "line_too_long": ("dòng này dài hơn 2.000.000 ký tự; có thể một ô thiếu dấu ngoặc kép đóng",
                      "this line is longer than 2,000,000 characters; a cell may be missing its closing quote"),
    "excel_second_sheet": ("trang tính '{0}' cũng có dữ liệu nhưng chỉ trang '{1}' được đọc; mỗi tệp chỉ gửi một trang tính",
                           "the sheet '{0}' holds data too, but only '{1}' is read; send one sheet per file"),
    "excel_error_cell": ("ô này là lỗi của Excel ({0}), không phải một con số; hãy sửa công thức rồi gửi lại",
                         "this cell is an Excel error ({0}), not a number; fix the formula and send the file again"),
    "excel_formula_not_calculated": ("ô này có công thức mà Excel chưa tính ra giá trị; hãy mở tệp trong Excel, "
                                     "lưu lại rồi gửi",
                                     "this cell holds a formula Excel has not calculated; open the file in Excel, "
                                     "save it and send it again"),
    "excel_empty": ("trang tính đầu tiên của tệp Excel trống", "the workbook's first sheet is empty"),
    "too_few_values": ("dòng này thiếu giá trị; dòng tiêu đề có {0} cột",
                       "this line has too few values; the header names {0} columns"),
    "too_many_values": ("dòng này có nhiều giá trị hơn {0} cột của dòng tiêu đề; số có dấu phẩy phải đặt "
                        "trong ngoặc kép, hoặc dùng ';' để ngăn cách các cột",
                        "this line has more values than the header's {0} columns; a number with a comma "
                        "in it must be in quotes, or use ';' between columns"),
    "csv_unreadable": ("không đọc được dòng này (hãy kiểm tra dấu ngoặc kép)",
                       "this line cannot be read as CSV (check its quotes)"),
    "no_rows": ("tệp chỉ có dòng tiêu đề, không có dòng số liệu nào", "the file has a header but no rows"),
    "more_problems": ("và {0} lỗi khác nữa; {1} lỗi đầu tiên được liệt kê ở trên",
                      "and {0} more problems; the first {1} are listed above"),
    "no_values": ("mọi ô số liệu trong tệp đều trống: tệp không báo cáo số nào",
                  "every count cell in the file is empty: it reports nothing"),
    "column_unnamed": ("cột này không có tên trong dòng tiêu đề", "this column has no name in the header"),
    "column_twice": ("cột này xuất hiện hai lần trong dòng tiêu đề", "this column appears twice in the header"),
    "column_unknown": ("không có cột '{0}'; các cột là: {1}", "unknown column '{0}'; the columns are: {1}"),
    "column_missing": ("dòng tiêu đề thiếu cột '{0}'", "the column '{0}' is missing from the header"),
    "no_metric_column": ("dòng tiêu đề không có chỉ số nào; hãy thêm cột 'metric' và 'value', hoặc mỗi chỉ số một cột",
                         "the header names no metric; add 'metric' and 'value', or one column per metric"),
    "date_missing": ("thiếu ngày", "the date is missing"),
    "date_invalid": ("đây không phải là ngày; hãy viết 2025-11-20 hoặc 20/11/2025",
                     "this is not a date; write 2025-11-20 or 20/11/2025"),
    "date_future": ("ngày này ở tương lai (hôm nay ở Việt Nam là {0})",
                    "this date is in the future (today in Vietnam is {0})"),
    "date_outside": ("ngày này nằm ngoài năm của đợt thi đua ({0})", "this date is outside the campaign year ({0})"),
    "unit_missing": ("thiếu mã đơn vị", "the unit code is missing"),
    "unit_unknown": ("mã đơn vị không có trong danh sách đơn vị; hãy kiểm tra lại",
                     "unknown unit code; check it against the unit list"),
    "unit_has_children": ("đơn vị này có đơn vị trực thuộc: hãy báo cáo số liệu của các đơn vị cơ sở, "
                          "số của đơn vị này được cộng từ đó",
                          "this unit has sub-units: report the counts of its grassroots units, its total "
                          "is computed from theirs"),
    "unit_outside_scope": ("tài khoản của bạn chỉ được báo cáo cho {0} và các đơn vị trực thuộc; dòng này "
                           "là của đơn vị khác, hãy bỏ dòng này hoặc để đơn vị đó tự gửi",
                           "your account may report only for {0} and the units under it; this row is for "
                           "another unit: remove it, or let that unit send it"),
    "metric_missing": ("thiếu chỉ số", "the metric is missing"),
    "metric_unknown": ("không có chỉ số này; hãy dùng một trong: {0}", "unknown metric; use one of {0}"),
    "group_above_metric": ("nhóm {0} có {1} người, nhiều hơn chỉ số {2} ({3}) của cùng đơn vị và ngày; số của nhóm là "
                           "một phần của chỉ số",
                           "the group {0} has {1}, more than its metric {2} ({3}) for the same unit and day; a group's "
                           "count is part of its metric's"),
    "metric_summed": ("chỉ số này là tổng của {0} và được tự cộng; hãy báo cáo từng chỉ số đó",
                      "this metric is the sum of {0} and is added up by itself; report each of those instead"),
    "date_not_earlier": ("số liệu các năm trước chỉ gồm ngày trước năm {0} của đợt thi đua; ngày này hãy gửi "
                         "như báo cáo hằng ngày",
                         "reference history holds only dates before the campaign's year {0}; send this date as "
                         "a daily report"),
    "number_missing": ("thiếu {0}", "the {0} is missing"),
    "number_negative": ("{0} không được là số âm", "a {0} cannot be negative"),
    "number_too_large": ("số này quá lớn, không thể là {0}", "this number is too large to be a {0}"),
    "number_fraction": ("{0} phải là số nguyên; số này có phần lẻ", "a {0} is a whole number; this one has a fraction"),
    "number_separators": ("dấu phân cách hàng nghìn phải chia đúng từng nhóm ba chữ số (1.234.567 hoặc 1,234,567)",
                          "thousands separators must group exactly three digits (1.234.567 or 1,234,567)"),
    "number_invalid": ("đây không phải là số; hãy viết số nguyên như 1234 hoặc 1.234",
                       "this is not a number; write a whole number such as 1234 or 1.234"),
    "count_conflict": ("dòng {0} đã ghi {1} cho cùng đơn vị, chỉ số và ngày; mỗi tệp chỉ được ghi một giá trị",
                       "line {0} already gives {1} for this unit, metric and date; a file may give only one"),
    "count_jump": ("số liệu tăng {0} % so với lần báo cáo trước ({1} ngày {2}); hãy kiểm tra lại",
                   "this count jumps by {0} % against the previous report ({1} on {2}); please check it"),
    "count_drop": ("số liệu giảm {0} % so với lần báo cáo trước ({1} ngày {2}); hãy kiểm tra lại",
                   "this count drops by {0} % against the previous report ({1} on {2}); please check it"),
    "unit_twice": ("mã đơn vị này xuất hiện nhiều lần trong tệp", "this unit code appears more than once in the file"),
    "name_missing": ("thiếu tên đơn vị", "the unit name is missing"),
    "parent_needed": ("chỉ VN (gốc) không có đơn vị cấp trên; hãy ghi mã đơn vị cấp trên",
                      "only VN, the root, has no parent; give this unit its parent's code"),
    "root_has_parent": ("VN là gốc, không có đơn vị cấp trên", "VN is the root and cannot have a parent"),
    "parent_unknown": ("không có đơn vị cấp trên này, trong tệp cũng như trong danh sách đơn vị",
                       "unknown parent unit; it is neither in this file nor in the store"),
    "parent_cycle": ("các đơn vị cấp trên của đơn vị này vòng trở lại chính nó; hãy sửa một mã cấp trên",
                     "this unit's parents lead back to itself (a cycle); fix one of the parent codes"),
    "parent_has_counts": ("đơn vị {0} đã có số liệu báo cáo của chính mình nên không thể có đơn vị cấp dưới "
                          "(số liệu đó sẽ bị bỏ khỏi tổng); hãy liên hệ quản trị viên",
                          "unit {0} has reports of its own, so it cannot get sub-units (its reports would drop "
                          "out of every total); ask an administrator"),
    "unit_with_counts_moved": ("đơn vị này đã có số liệu báo cáo; chuyển sang cấp trên {0} (đang là {1}) sẽ làm đổi "
                               "tổng của cả hai; hãy liên hệ quản trị viên",
                               "this unit has reports; moving it under {0} (it is under {1}) would change both "
                               "totals; ask an administrator"),
    "target_unit_unknown": ("không có mã đơn vị này; hãy nạp danh sách đơn vị trước",
                            "unknown unit code; load the unit list first"),
    "milestone_missing": ("thiếu ngày mốc", "the milestone date is missing"),
    "milestone_invalid": ("đây không phải là ngày; hãy viết 2025-11-30 hoặc 30/11/2025",
                          "this is not a date; write 2025-11-30 or 30/11/2025"),
    "milestone_outside": ("ngày này không thuộc đợt thi đua nào (mốc phải sau ngày gốc và không muộn hơn ngày kết thúc)",
                          "this date is in no campaign (a milestone falls after a campaign's baseline and on "
                          "or before its end)"),
    "milestone_not_a_milestone": ("ngày này không phải là mốc của đợt thi đua; các mốc là {0}",
                                  "this date is not one of the campaign's milestones: {0}"),
    "targets_dropped": ("tệp này sẽ xóa {0} chỉ tiêu mà đợt thi đua đang có ({1}…); hãy đưa chúng vào tệp, "
                        "hoặc xác nhận tệp thay toàn bộ chỉ tiêu (dòng lệnh: --replace-all)",
                        "this file would drop {0} targets the campaign has ({1}…); put them in the file, or "
                        "confirm that it replaces every target (command line: --replace-all)"),
    "milestone_other_campaign": ("mỗi tệp chỉ tiêu dành cho một đợt thi đua; mốc này thuộc đợt khác",
                                 "a targets file is for one campaign; this milestone belongs to another"),
    "target_conflict": ("dòng {0} đã ghi chỉ tiêu cho cùng đơn vị, chỉ số và mốc",
                        "line {0} already gives a target for this unit, metric and milestone"),
    "collector_missing": ("thiếu mã người thu / điểm thu", "the collector code is missing"),
    "collector_twice": ("mã này xuất hiện nhiều lần trong tệp", "this collector code appears more than once in the file"),
    "collector_kind": ("loại phải là organisation (tổ chức dịch vụ thu), point (điểm thu) hoặc staff (nhân viên thu)",
                       "the kind must be organisation (a collection service organisation), point (a collection "
                       "point) or staff (a collection staff member)"),
    "collector_name_missing": ("thiếu tên", "the name is missing"),
    "organisation_of_organisation": ("một tổ chức dịch vụ thu không thuộc tổ chức nào khác; hãy để trống cột này",
                                     "a service organisation belongs to no other organisation; leave this cell empty"),
    "organisation_unknown": ("không có tổ chức dịch vụ thu mã này, trong tệp cũng như trong danh sách",
                             "there is no service organisation with this code, in this file or in the store"),
    "organisation_elsewhere": ("tổ chức này do đơn vị {0} ký hợp đồng; điểm thu, nhân viên thu của nó phải thuộc {0} "
                               "hoặc đơn vị trực thuộc",
                               "this organisation is contracted by unit {0}; its points and staff must be "
                               "contracted by {0} or a unit under it"),
    "collector_unknown": ("không có mã này trong danh sách mạng lưới thu; hãy nạp danh sách trước",
                          "unknown collector code; load the collection network's list first"),
    "collector_is_organisation": ("đây là một tổ chức dịch vụ thu: số của tổ chức được cộng từ các điểm thu và "
                                  "nhân viên thu của nó; hãy báo cáo số của từng điểm, từng người",
                                  "this is a service organisation: its figure is the sum of its points' and staff's; "
                                  "report each point and staff member instead"),
    "collector_outside_scope": ("tài khoản của bạn chỉ được báo cáo cho mạng lưới thu do {0} và các đơn vị trực thuộc "
                                "ký hợp đồng; dòng này là của đơn vị khác",
                                "your account may report only for the collectors contracted by {0} and the units "
                                "under it; this row is another unit's"),
    "date_outside_campaigns": ("ngày này không thuộc đợt thi đua nào (sau ngày gốc, không muộn hơn ngày kết thúc)",
                               "this date is in no campaign (after its baseline, on or before its end)"),
    "collection_conflict": ("dòng {0} đã ghi {1} cho cùng người thu, chỉ số và ngày; mỗi tệp chỉ được ghi một giá trị",
                            "line {0} already gives {1} for this collector, metric and date; a file may give only one"),
    "employer_missing": ("thiếu mã đơn vị sử dụng lao động", "the employer's code is missing"),
    "employer_name_missing": ("thiếu tên đơn vị sử dụng lao động", "the employer's name is missing"),
    "employer_twice": ("dòng {0} đã ghi đơn vị sử dụng lao động này cho cùng đơn vị thu và ngày",
                       "line {0} already lists this employer for the same unit and date"),
    "late_payer_unit_has_children": ("đơn vị này có đơn vị trực thuộc: danh sách nợ là của đơn vị trực tiếp thu",
                                     "this unit has sub-units: a late payers list is the collecting unit's"),
    "months_late_range": ("số tháng chậm đóng phải từ 1 đến {0}", "months late must be 1 to {0}"),
}
# the things a number in a file can be, as problems name them
NOUNS = {"amount": ("số tiền nợ", "amount owed"), "months_late": ("số tháng chậm đóng", "months late"),
         "count": ("số liệu", "count"), "population": ("dân số", "population"),
         "labour_force": ("lực lượng lao động", "labour force"), "target": ("chỉ tiêu", "target")}


def problem_text(code: str, params: tuple, lang: str) -> str:
    """The sentence for a problem code and its details, in lang."""
    index = 0 if lang == "vi" else 1
    counts, decimals = COUNT_DETAILS.get(code, ()), DECIMAL_DETAILS.get(code, ())
    words = [NOUNS[p][index] if p in NOUNS else number(int(p), lang) if i in counts
             else number(float(p), lang, 1) if i in decimals else p
             for i, p in enumerate(params)]
    return PROBLEMS[code][index].format(*words)


# the details that are numbers, written as the language writes them (4.868 and 47,5 in Vietnamese;
# not years or codes): counts, and percentages to one decimal
COUNT_DETAILS = {"targets_dropped": (0,), "more_problems": (0, 1), "count_jump": (1,), "count_drop": (1,),
                 "collection_conflict": (1,),
                 "too_many_columns": (0,), "header_too_long": (0, 1), "too_many_rows": (0,),
                 "file_name_too_long": (0, 1), "file_too_large": (0,),
                 "excel_too_large": (1,)}
DECIMAL_DETAILS = {"count_jump": (0,), "count_drop": (0,), "excel_too_large": (0,)}
