"""The texts of Pantau's public faces: the embeds on the transparency portal and Open311 (merged into
dashboard/texts.py TEXTS: Bahasa Indonesia first, English second)."""

PUBLIC_TEXTS: dict[str, tuple[str, str]] = {
    # public transparency embeds (/embed/...)
    "embed.gallery.title": ("Widget transparansi Pantau Surabaya", "Pantau Surabaya transparency widgets"),
    "embed.gallery.intro": (
        "Widget ini boleh dipasang di situs PPID dan portal resmi Pemerintah Kota Surabaya. "
        'Semua angka adalah agregat; jumlah 1 sampai 4 ditampilkan sebagai "<5" dan tidak '
        "ada data pribadi.",
        "These widgets may be embedded on the PPID site and official Surabaya City portals. "
        'Every figure is an aggregate; counts from 1 to 4 show as "<5" and there is no '
        "personal data.",
    ),
    "embed.gallery.params": (
        "Parameter: lang=id|en, theme=light|dark, period={periods}",
        "Parameters: lang=id|en, theme=light|dark, period={periods}",
    ),
    "embed.gallery.snippet": ("Kode untuk disalin", "Snippet to copy"),
    "embed.gallery.placeholder_base": ("https://alamat-pantau.example", "https://pantau-address.example"),
    "embed.gallery.no_base": (
        "Alamat publik Pantau belum diatur (PANTAU_PUBLIC_BASE_URL). Ganti {base} dalam kode dengan "
        "alamat Pantau sebelum memasangnya, atau minta operator mengatur alamat itu.",
        "Pantau's public address is not configured (PANTAU_PUBLIC_BASE_URL). Replace {base} in the "
        "snippet with Pantau's address before using it, or ask the operator to set it.",
    ),
    "embed.gallery.open": ("Buka widget", "Open widget"),
    "embed.widget.complaints-month": ("Aduan warga bulan ini", "Citizen complaints this month"),
    "embed.widget.sla-trend": ("Ketepatan waktu tanggapan per bulan", "Response on time by month"),
    "embed.widget.complaints-category": ("Aduan menurut kategori", "Complaints by category"),
    "embed.widget.complaints-map": ("Aduan menurut kecamatan", "Complaints by district"),
    "embed.widget.incidents-112": ("Darurat 112 per bulan", "112 emergencies by month"),
    "embed.widget.egov": ("Indikator e-government", "E-government indicators"),
    "embed.source.complaints": (
        "Sumber: kanal pengaduan Pemerintah Kota Surabaya, diolah Pantau Surabaya",
        "Source: Surabaya City complaint channels, compiled by Pantau Surabaya",
    ),
    "embed.source.incidents": (
        "Sumber: Command Center 112 Surabaya, diolah Pantau Surabaya",
        "Source: Surabaya 112 Command Center, compiled by Pantau Surabaya",
    ),
    "embed.source.egov": (
        "Sumber: laporan perangkat daerah (e-government), diolah Pantau Surabaya",
        "Source: department reports (e-government), compiled by Pantau Surabaya",
    ),
    "embed.as_of": ("Data per {time} WIB · periode {period}", "Data as of {time} WIB · period {period}"),
    "embed.too_few": ("terlalu sedikit untuk diukur", "too few to measure"),
    "embed.total": ("Jumlah", "Total"),
    "embed.rounded_note": (
        "Jumlah dibulatkan acak ke kelipatan 5 untuk melindungi warga; total dibulatkan tersendiri",
        "Counts randomly rounded to a multiple of 5 to protect residents; totals rounded on their own",
    ),
    "embed.unknown_place": ("Tanpa lokasi", "No location"),
    "embed.share_pct": ("% ditanggapi ≤ 1x24 jam", "% answered ≤ 1x24 h"),
    "embed.reported": ("Laporan 112", "112 reports"),
    "embed.response_p50": ("Waktu respons median (menit)", "Median response time (min)"),
    "embed.sensitive_note": (
        "Kategori sensitif hanya sebagai jumlah bulanan sekota",
        "Sensitive categories only as city-wide monthly counts",
    ),
    "embed.egov.value": ("Nilai", "Value"),
    "embed.egov.target": ("Target", "Target"),
    "embed.egov.to_date": ("s.d. hari ini; sebulan {total}", "to date; month {total}"),
    "embed.egov.to_date_note": (
        "Tender bulan berjalan dinilai terhadap target sebulan yang dibagi menurut hari yang telah lewat",
        "Tenders of the running month are judged against the month's target prorated by the days passed",
    ),
    "embed.egov.period": ("Periode", "Period"),
    "embed.egov.empty": ("Belum ada indikator", "No indicators yet"),
    "embed.error.title": ("Widget tidak dapat ditampilkan", "The widget cannot be shown"),
    "embed.error.unavailable": (
        "Data sedang tidak tersedia; coba lagi nanti.",
        "The data is unavailable right now; please try again later.",
    ),
    "embed.period.this_month": ("bulan ini", "this month"),
    "embed.period.last_month": ("bulan lalu", "last month"),
    "embed.period.months": ("{n} bulan terakhir", "last {n} months"),
    "embed.period.latest": ("terbaru", "latest"),
    "embed.gallery.height": (
        "Tinggi iframe: {narrow} px untuk lebar 300 px, {wide} px untuk lebar 800 px",
        "Iframe height: {narrow} px at 300 px wide, {wide} px at 800 px wide",
    ),
    "embed.gallery.copy": ("Salin kode", "Copy snippet"),
    "embed.gallery.copied": ("Tersalin", "Copied"),
    "open311.service.description": (
        "Aduan warga tentang {name} di Kota Surabaya, ditindaklanjuti Media Center Surabaya",
        "A citizen complaint about {name} in Surabaya, handled by the Surabaya Media Center",
    ),
    "open311.attr.kecamatan": (
        "Kecamatan lokasi aduan (bila tanpa koordinat)",
        "Kecamatan of the complaint (without coordinates)",
    ),
    "open311.notice": ("Aduan diterima; pantau dengan nomor {id}", "Complaint received; follow it as {id}"),
    "open311.error.api_key": ("api_key tidak ada atau tidak berlaku", "Missing or invalid api_key"),
    "open311.error.jurisdiction": ("jurisdiction_id {value} tidak dikenal", "jurisdiction_id {value} not found"),
    "open311.error.service_code": ("service_code {value} tidak dikenal", "service_code {value} not found"),
    "open311.error.missing": ("{field} wajib diisi", "{field} was not provided"),
    "open311.error.request": ("Permintaan layanan {value} tidak ditemukan", "Service request {value} not found"),
    "open311.error.location": ("Isi lat dan long, atau address_string", "Provide lat and long, or address_string"),
    "open311.error.lat_long": ("lat dan long harus diisi bersama", "lat and long come together"),
    "open311.error.number": ("{field} harus berupa angka", "{field} must be a number"),
    "open311.error.too_long": ("{field} lebih dari {limit} karakter", "{field} is longer than {limit} characters"),
    "open311.error.parameter": ("Parameter {field} tidak valid: {value}", "Invalid {field}: {value}"),
    "open311.error.refused": ("Aduan ditolak: {reason}", "Request refused: {reason}"),
    "open311.error.rate": (
        "Terlalu banyak permintaan; coba lagi dalam {seconds} detik",
        "Too many requests; retry in {seconds} s",
    ),
    "open311.error.unavailable": ("Layanan tidak tersedia; coba lagi nanti", "Service unavailable; retry later"),
    "open311.error.not_found": ("Sumber daya tidak ditemukan", "No such resource"),
    "open311.error.form": ("Kirim sebagai application/x-www-form-urlencoded", "Send application/x-www-form-urlencoded"),
}
