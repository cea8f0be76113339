"""A printable candidate report (PDF) for the hiring team: pipeline, assessment results by skill
and question, scorecards and comments. Built with ReportLab from the same data as the page."""

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

STYLES = getSampleStyleSheet()
SMALL = ParagraphStyle("small", parent=STYLES["BodyText"], fontSize=8.5, leading=11)
GRID = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8.5),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9ced8")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def _p(text, style=SMALL) -> Paragraph:
    return Paragraph(escape(str(text if text is not None else "—")).replace("\n", "<br/>"), style)


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def candidate_report_pdf(detail: dict) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{detail['candidate']['name']} — {detail['role']['title']}",
                            author="Prep")
    story = [
        Paragraph(escape(detail["candidate"]["name"]), STYLES["Title"]),
        _p(f"{detail['role']['title']} · {detail['stage']['name']} · {detail['state']} · {detail['candidate']['email']}",
           STYLES["BodyText"]),
        Spacer(1, 4 * mm),
        Paragraph("Pipeline", STYLES["Heading2"]),
        _table([["Stage", "Status"]] + [[s["name"], s["status"]] for s in detail["pipeline"]], [80 * mm, 40 * mm]),
    ]
    for attempt in detail["attempts"]:
        rows = [["#", "Question", "Result", "Points", "Time"]] + [
            [q["position"], _p(q["title"]), q["status"],
             f"{q['score'] if q['score'] is not None else '…'} / {q['max_score']:g}", f"{q.get('time_spent_s', 0)} s"]
            for q in attempt["questions"]
        ]
        skills = [["Skill", "Score"]] + [[s["name"], _pct(s["percent"])] for s in attempt["skills"]]
        verdict = "passed" if attempt["passed"] else ("not passed" if attempt["passed"] is not None else attempt["state"])
        story += [
            Paragraph(escape(f"Assessment: {attempt['assessment']['title']}"), STYLES["Heading2"]),
            _p(f"{_pct(attempt['percent'])} ({verdict}; pass mark {attempt['pass_mark_percent']}%)"
               + (f" · percentile {attempt['percentile']:.0f} of {attempt['percentile_of']}" if attempt.get("percentile") is not None else ""),
               STYLES["BodyText"]),
            Spacer(1, 2 * mm),
            _table(skills, [80 * mm, 30 * mm]),
            Spacer(1, 2 * mm),
            _table(rows, [8 * mm, 92 * mm, 28 * mm, 28 * mm, 18 * mm]),
        ]
    if detail["scorecards"]:
        story.append(Paragraph("Scorecards", STYLES["Heading2"]))
        for card in detail["scorecards"]:
            ratings = ", ".join(f"{k}: {v}" for k, v in sorted(card["ratings"].items()))
            story.append(KeepTogether([
                _p(f"{card['stage']} — {card['interviewer']['name']}: {card['recommendation_display']}"
                   f" (mean {card['overall'] if card['overall'] is not None else '—'})", STYLES["Heading4"]),
                _p(ratings), _p(card["notes"]), Spacer(1, 2 * mm),
            ]))
    if detail["comments"]:
        story.append(Paragraph("Comments", STYLES["Heading2"]))
        for comment in detail["comments"]:
            story.append(_p(f"{comment['author']['name']}, {comment['at']:%Y-%m-%d %H:%M}: {comment['body']}"))
    story += [Paragraph("Audit trail", STYLES["Heading2"]),
              _table([["When", "Who", "Move", "Note"]] + [
                  [f"{t['at']:%Y-%m-%d %H:%M}", _p(t["actor"]),
                   _p(f"{t['from_stage'] or '—'} → {t['to_stage'] or '—'}"
                      + (f" ({t['to_state']})" if t["to_state"] != t["from_state"] and t["from_state"] else "")),
                   _p(t["note"])]
                  for t in detail["transitions"]], [28 * mm, 30 * mm, 60 * mm, 56 * mm])]
    doc.build(story)
    return buffer.getvalue()


def _table(rows, widths) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table
