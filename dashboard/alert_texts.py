"""The alerts' texts (messages, the briefing's alert panel), merged into dashboard.texts.TEXTS."""

from __future__ import annotations

# key: (Bahasa Indonesia, English)
ALERT_TEXTS: dict[str, tuple[str, str]] = {
    "alert.rule.complaint_sla.at_risk": (
        "Aduan waspada (≥ 50% waktu 1x24 jam)",
        "Complaints at risk (≥ 50% of 1x24 h)",
    ),
    "alert.rule.complaint_sla.critical": (
        "Aduan kritis (≥ 75% waktu 1x24 jam)",
        "Complaints critical (≥ 75% of 1x24 h)",
    ),
    "alert.rule.complaint_sla.breached": ("Aduan lewat batas 1x24 jam", "Complaints past the 1x24 h deadline"),
    "alert.rule.complaint_sla.escalated": (
        "Aduan lewat batas {hours} jam atau lebih",
        "Complaints past their deadline by {hours} h or more",
    ),
    "alert.rule.opd_breach_share": (
        "Porsi aduan lewat batas hari ini tinggi",
        "High share of breached complaints today",
    ),
    "alert.rule.incident_dispatch": ("Insiden prioritas 1 belum ada unit", "Priority-1 incident without a unit"),
    "alert.rule.incident_arrival": ("Insiden prioritas 1 unit belum tiba", "Priority-1 incident, unit not arrived"),
    "alert.rule.response_p90": ("Respons 112 (p90, 1 jam terakhir) tinggi", "112 response (p90, last hour) high"),
    "alert.rule.feed_stale": ("Feed data berhenti", "Data feed stopped"),
    "alert.rule.deadletter_surge": ("Lonjakan data ditolak", "Surge of refused events"),
    "alert.rule.egov_red": ("Indikator e-gov merah", "E-gov indicator red"),
    "alert.kind.firing": ("PERINGATAN", "ALERT"),
    "alert.kind.repeat": ("MASIH BERLAKU", "STILL FIRING"),
    "alert.kind.resolved": ("SELESAI", "RESOLVED"),
    "alert.kind.test": ("UJI COBA", "TEST"),
    "alert.subject": ("[Pantau] {kind}: {title} – {group} ({n})", "[Pantau] {kind}: {title} – {group} ({n})"),
    "alert.group.city": ("Kota Surabaya", "Surabaya city"),
    "alert.group.112": ("Command Center 112", "112 Command Center"),
    "alert.group.feed": ("Feed data", "Data feed"),
    "alert.group.none": ("Tanpa OPD", "No department"),
    "alert.step": ("Tingkat eskalasi: {step}", "Escalation level: {step}"),
    "alert.step.opd_team": ("Tim TPKPM OPD", "OPD complaint team"),
    "alert.step.opd_head": ("Kepala OPD", "Head of department"),
    "alert.step.media_center": ("Koordinator Media Center", "Media Center coordinator"),
    "alert.step.sekda": ("Sekretariat Daerah", "Office of the Regional Secretary"),
    "alert.line.complaint": (
        "{id} · {category} · {place} · {opd} · batas {due}",
        "{id} · {category} · {place} · {opd} · due {due}",
    ),
    "alert.line.opd_share": (
        "{opd}: {breached} dari {total} aduan hari ini lewat batas ({pct}%, ambang {threshold}%)",
        "{opd}: {breached} of {total} complaints today past their deadline ({pct}%, threshold {threshold}%)",
    ),
    "alert.line.incident": (
        "{id} · {category} · {place} · dilaporkan {reported} · {minutes} menit",
        "{id} · {category} · {place} · reported {reported} · {minutes} min",
    ),
    "alert.line.response": (
        "p90 respons 112 satu jam terakhir {value} menit (ambang {threshold} menit, {n} insiden)",
        "112 response p90 over the last hour {value} min (threshold {threshold} min, {n} incidents)",
    ),
    "alert.line.feed": (
        "{stream}: tidak ada data dibaca sejak {since} (ambang {threshold} menit)",
        "{stream}: nothing read since {since} (threshold {threshold} min)",
    ),
    "alert.line.deadletter": (
        "{n} event ditolak dalam satu jam terakhir (ambang {threshold})",
        "{n} events refused in the last hour (threshold {threshold})",
    ),
    "alert.line.egov": (
        "{opd} · {metric} · nilai {value} dari target {target}",
        "{opd} · {metric} · value {value} against target {target}",
    ),
    "alert.open_link": ("Buka di briefing: {url}", "Open in the briefing: {url}"),
    "alert.more": ("… dan {n} lainnya", "… and {n} more"),
    "alert.footer": (
        "Pesan otomatis Pantau Surabaya. Tanpa data pribadi; rincian di briefing.",
        "Automatic message from Pantau Surabaya. No personal data; details in the briefing.",
    ),
    "alert.test_body": ("Uji coba saluran peringatan {channel}.", "Test of the alert channel {channel}."),
    # the briefing's panel
    "alerts.title": ("Peringatan", "Alerts"),
    "alerts.firing": ("{n} peringatan aktif", "{n} alerts firing"),
    "alerts.none": ("Tidak ada peringatan aktif", "No alerts firing"),
    "alerts.col.rule": ("Aturan", "Rule"),
    "alerts.col.subject": ("Tentang", "About"),
    "alerts.col.group": ("Kelompok", "Group"),
    "alerts.col.stage": ("Tahap", "Stage"),
    "alerts.col.since": ("Sejak", "Since"),
    "alerts.col.state": ("Status", "State"),
    "alerts.col.time": ("Waktu", "Time"),
    "alerts.col.event": ("Kejadian", "Event"),
    "alerts.col.detail": ("Rincian", "Detail"),
    "alerts.col.actor": ("Oleh", "By"),
    "alerts.acknowledge": ("Tandai ditangani", "Acknowledge"),
    "alerts.silence": ("Bisukan", "Silence"),
    "alerts.silence_hours": ("Lama (jam)", "Duration (hours)"),
    "alerts.reason": ("Alasan", "Reason"),
    "alerts.reason_needed": ("Alasan wajib diisi", "A reason is required"),
    "alerts.done": ("Tersimpan", "Saved"),
    "alerts.history": ("Riwayat peringatan", "Alert history"),
    "alerts.deliveries_failing": ("{n} pengiriman gagal, dicoba lagi", "{n} deliveries failing, retrying"),
    "alerts.acknowledged": ("ditangani", "acknowledged"),
    "alerts.silenced": ("dibisukan", "silenced"),
    "wall.tile.alerts": ("Peringatan aktif", "Alerts firing"),
}
