"""The simulator's tables: rates, daily rhythms, mixes of channels and categories, and the names, streets
and texts it fills events with. Plain data, kept apart so that data_sources/simulator.py reads as logic."""
from __future__ import annotations

MINUTE, HOUR, DAY = 60, 3600, 86400

COMPLAINTS_PER_WEEKDAY, WEEKEND_COMPLAINTS = 480.0, 0.6  # a weekend day sees 60% of a weekday's
INCIDENTS_PER_DAY = 200.0  # plus the rainy season's extra floods
RAINY_MONTHS = (11, 12, 1, 2, 3)
# Relative volume per WIB hour 0..23: quiet nights, a morning peak and a late-afternoon one.
C_HOURS = (.15, .1, .08, .08, .15, .4, .9, 1.6, 2.1, 2.2, 1.9, 1.6, 1.3, 1.5, 1.7, 1.9, 1.8, 1.4, 1.1, 1, .9, .7,
           .5, .25)
I_HOURS = (.4, .3, .25, .25, .35, .6, 1, 1.5, 1.6, 1.3, 1.1, 1.1, 1.1, 1.2, 1.3, 1.5, 1.7, 1.7, 1.4, 1.2, 1, .8,
           .6, .5)
# Measured events per case over its life (to size generate()), and within the live slot it arrives in (to
# turn a wanted live rate into arrivals).
EVENTS_PER_COMPLAINT, EVENTS_PER_INCIDENT = 5.9, 4.1
SLOT, SLOT_EVENTS_PER_COMPLAINT, SLOT_EVENTS_PER_INCIDENT = 300, 1.03, 1.6
UNKNOWN_PLACE_SHARE = 0.005

CHANNELS = {"whatsapp": 30, "app": 24, "phone": 11, "web": 8, "twitter": 6, "instagram": 5, "facebook": 5,
            "email": 5, "sms": 4, "walk_in": 2}
# category: (weight, weight in the rainy season, OPD that handles it)
COMPLAINT_CATEGORIES = {
    "jalan_rusak": (18, 20, "DSDABM"), "banjir_genangan": (7, 18, "DSDABM"), "sampah": (16, 16, "DLH"),
    "penerangan_jalan": (10, 10, "DKRTH"), "administrasi_kependudukan": (14, 14, "DISPENDUKCAPIL"),
    "kesehatan": (6, 7, "DINKES"), "pendidikan": (6, 6, "DISPENDIK"), "perizinan": (5, 5, "DPMPTSP"),
    "ketertiban_umum": (10, 9, "SATPOLPP"), "lainnya": (8, 8, None),
}
OTHER_OPDS = ("DISHUB", "DINSOS", "DPRKPP", "DISKOMINFO")
# category: (weight, rainy weight, priority 1/2/3 weights, minutes on scene, first agencies, second agencies,
# share with a second unit); a repeated agency weighs more.
INCIDENT_CATEGORIES = {
    "traffic_accident": (22, 22, (4, 5, 1), 40, ("PSC119",) * 3 + ("DISHUB",) * 2, ("DISHUB", "PSC119"), .25),
    "medical": (20, 20, (6, 4, 1), 30, ("PSC119",), ("PSC119",), .05),
    "social": (14, 13, (0, 3, 7), 50, ("DINSOS", "SATPOLPP"), ("SATPOLPP", "DINSOS"), .08),
    "fire": (8, 6, (8, 2, 0), 90, ("DPKP",), ("DPKP",), .6),
    "flood": (5, 18, (2, 6, 2), 180, ("BPBD",), ("BPBD", "DPKP"), .3),
    "missing_person": (3, 3, (1, 6, 3), 240, ("DINSOS", "SATPOLPP"), ("SATPOLPP",), .15),
    "infrastructure": (10, 12, (1, 4, 5), 120, ("DSDABM",), ("DSDABM", "DISHUB"), .1),
    "other": (18, 18, (0, 3, 7), 30, ("SATPOLPP",) * 3 + ("DPKP",) * 2, ("SATPOLPP",), .05),
}
UNITS = {"PSC119": ("PSC119-AMB-{:02d}", 24), "DISHUB": ("DISHUB-PATROLI-{}", 8), "BPBD": ("BPBD-TRC-{}", 6),
         "DINSOS": ("DINSOS-TRC-{}", 4), "SATPOLPP": ("SATPOLPP-REGU-{}", 12), "DSDABM": ("DSDABM-SATGAS-{}", 6)}
SOURCES = {"complaint": "media-center", "incident": "command-center-112", "planning": "e-musrenbang",
           "staffing": "e-kinerja", "procurement": "e-procurement", "budgeting": "e-budgeting"}
KPI_OPDS = {"DSDABM": 10, "DISPENDIK": 9, "DINKES": 8, "DLH": 6, "DKRTH": 4, "DISHUB": 4, "DINSOS": 4,
            "SATPOLPP": 3, "DISPENDUKCAPIL": 2, "DPMPTSP": 1.5}  # relative budget sizes
KPI_METRICS = (("planning", "musrenbang_realized_pct", "pct"), ("staffing", "ekinerja_submission_pct", "pct"),
               ("procurement", "tender_count", "count"), ("procurement", "tender_savings_idr", "idr"),
               ("budgeting", "apbd_realization_pct", "pct"))
TENDER_SEASON = (.4, 1.2, 1.6, 1.5, 1.3, 1.1, .9, .8, .7, .5, .3, .2)  # tenders cluster early in the year

# Rough resident counts (thousands) of kecamatan 35.78.01 .. 35.78.31: where people live, they complain.
POPULATION_K = (75, 82, 120, 165, 100, 200, 60, 135, 115, 225, 100, 80, 105, 95, 120, 195, 180, 60, 70, 72, 60, 45,
                52, 60, 60, 90, 105, 50, 45, 60, 65)
OUTSIDE_CITY = ((-7.447, 112.718), (-7.156, 112.653), (-7.160, 112.790), (-7.045, 112.737), (-7.390, 112.730))
FOREIGN_PLACES = ("Waru", "Taman", "Driyorejo", "Kec. Buduran", "Surabaya Utara")
FIRST = ("Budi Siti Agus Dewi Ahmad Sri Rudi Nur Eko Wahyu Rina Dian Andi Fitri Hendra Yuli Bambang Endang Slamet "
         "Indah Joko Ratna Arif Lestari Teguh Putri Dwi Retno Fajar Ayu Rizky Novi Hadi Sulastri Imam Yusuf").split()
LAST = ("Santoso Wijaya Hidayat Saputra Pratama Susanto Rahmawati Kurniawan Setiawan Purnomo Wibowo Hartono "
        "Nugroho Suryadi Maulana Kusuma Handayani Prasetyo Syahputra Hakim Anggraini Firmansyah Utomo").split()
MOBILE_PREFIXES = "11 12 13 21 22 23 51 52 53 14 15 16 55 56 57 58 77 78 17 18 19 59 31 32 38 95 96 97 98".split()
STREETS = ("Raya Darmo|Ahmad Yani|Mayjend Sungkono|Kertajaya|Diponegoro|Pemuda|Basuki Rahmat|Tunjungan|"
           "Kenjeran|Raya Rungkut|Manyar Kertoarjo|Ngagel Jaya|Dukuh Kupang|Mastrip|Banyu Urip").split("|")
LANDMARKS = ("Taman Bungkul|Tugu Pahlawan|Masjid Al-Akbar|Stasiun Gubeng|Balai Kota|Pasar Wonokromo|Pasar Turi|"
             "Kebun Binatang Surabaya|Masjid Cheng Hoo|RSUD dr. Soetomo").split("|")
TEXTS = {key: tuple(value.split("|")) for key, value in {  # complaint and incident texts, status notes
    "jalan_rusak": "Jalan berlubang di {street}, sudah ada motor jatuh.|Aspal {street} rusak bekas galian kabel.",
    "banjir_genangan": "Saluran di {street} mampet, hujan sebentar menggenang {n}0 cm.|Gorong-gorong {street} buntu.",
    "sampah": "Sampah di TPS Kelurahan {kel} belum diangkut {n} hari.|Pembuangan sampah liar di {street}.",
    "penerangan_jalan": "Lampu PJU di {street} mati {n} hari, rawan jambret.|Lampu jalan dekat {place} berkedip.",
    "administrasi_kependudukan": "KTP-el saya belum jadi sejak rekam {n} bulan lalu.|Akta lahir via Klampid belum "
                                 "diproses.|Nama saya di KK salah tulis.",
    "kesehatan": "Antrean di Puskesmas {kel} sangat lama.|Ada {n} warga kena DBD di {street}, mohon fogging.",
    "pendidikan": "Informasi zonasi SPMB SD negeri di {kel} membingungkan.|Atap kelas SD di {street} bocor.",
    "perizinan": "Izin usaha saya lewat SSW Alfa belum diproses {n} minggu.|Bangunan di {street} tanpa PBG.",
    "ketertiban_umum": "Banyak PKL di trotoar {street}.|Parkir liar di depan {place}, jukir minta Rp10.000.",
    "lainnya": "Pohon besar di {street} rawan tumbang.|Terima kasih, petugas cepat menangani laporan saya.",
    "fire": "Kebakaran rumah di {street}, api dari atap.|Kebakaran alang-alang di lahan kosong Kelurahan {kel}.",
    "flood": "Banjir setinggi {n}0 cm di {street}, banyak motor mogok.|Air sungai meluap ke permukiman di {kel}.",
    "traffic_accident": "Tabrakan motor dan mobil di {street}, satu korban luka.|Kecelakaan motor dekat {place}.",
    "medical": "Warga pingsan di {street}, butuh ambulans.|Ibu hamil akan melahirkan di rumah, {street}.",
    "social": "ODGJ mengamuk di {street}.|Gelandangan di emperan toko dekat {place}.|Keributan warga di {kel}.",
    "missing_person": "Anak usia {n} tahun hilang sejak sore di sekitar {place}.|Lansia pikun belum pulang.",
    "infrastructure": "Pohon tumbang melintang di {street}.|Kabel listrik menjuntai di {street}.",
    "other": "Ular masuk rumah warga di {street}.|Sarang tawon di rumah warga Kelurahan {kel}.",
    "verified": "Laporan sudah diverifikasi.|Data pelapor dan lokasi lengkap.",
    "dispositioned": "Diteruskan ke OPD terkait.|Mohon ditindaklanjuti 1x24 jam.",
    "in_progress": "Petugas dijadwalkan ke lokasi.|Sedang dikoordinasikan dengan kecamatan.",
    "responded": "Terima kasih atas laporannya, petugas akan menindaklanjuti.|Laporan sedang kami proses.",
    "resolved": "Sudah ditangani petugas di lapangan.|Pekerjaan selesai, mohon konfirmasi warga.",
    "reopened": "Warga melaporkan masalah belum selesai.",
    "rejected": "Bukan kewenangan Pemerintah Kota Surabaya.|Laporan ganda.|Lokasi di luar wilayah Surabaya.",
}.items()}
