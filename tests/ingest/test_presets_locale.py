"""The Salesforce and HubSpot presets on exports made by French, German and Spanish users:
translated headers and default values, local number and date styles, a French Excel's re-save.

The fixtures in tests/fixtures/locale/ are written by make_locale.py beside them.
"""

from __future__ import annotations

import pandas as pd

from salesmetrics.ingest import load_input
from salesmetrics.ingest.load import LoadedInput
from tests.conftest import FIXTURES

LOCALE = FIXTURES / "locale"


def load(file: str, preset: str) -> LoadedInput:
    return load_input(LOCALE / file, preset)


def values(loaded: LoadedInput, field: str) -> list:
    return [None if pd.isna(v) else v for v in loaded.frame[field].tolist()]


def stamps(*texts: str | None) -> list:
    return [None if t is None else pd.Timestamp(t) for t in texts]


def counts(loaded: LoadedInput) -> tuple[int, int, int, int]:
    q = loaded.quality
    return q.rows_read, q.rows_used, q.rows_rejected, q.footer_lines_dropped


def test_french_salesforce_report_resaved_by_a_french_excel():
    loaded = load("salesforce_opportunities_fr.csv", "salesforce_opportunities")
    q = loaded.quality
    assert (q.encoding, q.delimiter) == ("cp1252", ";")
    # the footer (blank, Total général, blank, Informations confidentielles, Copyright) goes
    assert counts(loaded) == (5, 5, 0, 5)
    assert values(loaded, "deal_id") == [f"0065g00000FrA0{i}" for i in range(1, 6)]
    assert values(loaded, "stage_raw") == [
        "Prospection",
        "Proposition/Devis",
        "Fermée gagnée",
        "Fermée perdue",
        "Négociation/Révision",
    ]
    assert values(loaded, "stage") == ["prospecting", "proposal", "won", "lost", "negotiation"]
    assert values(loaded, "status") == ["open", "open", "won", "lost", "open"]
    # Nouveau client, Client existant - Mise à niveau, Renouvellement, Nouveau client,
    # Client existant - Remplacement
    assert values(loaded, "deal_type") == ["new", "upsell", "renewal", "new", "other"]
    assert loaded.quality.defaulted == ()  # every type was one of the preset's
    # 12 500,00 € with no-break spaces, the € giving the currency
    assert values(loaded, "amount") == [12500.0, 8000.0, 23400.5, 1200.0, 50000.0]
    assert values(loaded, "currency") == ["EUR"] * 5
    assert values(loaded, "probability") == [0.1, 0.75, 1.0, 0.0, 0.9]
    assert values(loaded, "closed_at") == stamps(None, None, "2025-03-23", "2025-02-28", None)
    assert values(loaded, "expected_close_at")[0] == pd.Timestamp("2025-06-30")
    assert values(loaded, "created_at") == stamps(
        "2025-01-03", "2025-02-14", "2025-01-10", "2025-01-20", "2025-03-05"
    )
    assert values(loaded, "owner")[2] == "Hugo Bernard"
    assert values(loaded, "account_id")[1] == "Bêta SARL"  # Nom du compte
    assert values(loaded, "source") == ["Web", "Salon", "Partenaire", None, "Web"]


def test_german_salesforce_report():
    loaded = load("salesforce_opportunities_de.csv", "salesforce_opportunities")
    assert counts(loaded) == (4, 4, 0, 0)
    assert values(loaded, "stage") == ["qualification", "won", "lost", "proposal"]
    assert values(loaded, "status") == ["open", "won", "lost", "open"]
    # Neukunde, Bestehender Kunde - Upgrade, Neukunde, Verlängerung
    assert values(loaded, "deal_type") == ["new", "upsell", "new", "renewal"]
    assert values(loaded, "amount") == [12500.0, 7250.0, 3000.0, 18000.0]  # EUR 12.500,00
    assert values(loaded, "currency") == ["EUR"] * 4
    assert values(loaded, "closed_at") == stamps(None, "2025-03-23", "2025-03-14", None)
    assert values(loaded, "created_at") == stamps(
        "2025-01-13", "2025-02-04", "2025-01-20", "2025-02-17"
    )
    assert values(loaded, "owner") == ["Jonas Weber", "Jonas Weber", "Lena Fischer", "Lena Fischer"]
    assert values(loaded, "source") == ["Web", "Messe", None, "Partner"]
    assert values(loaded, "probability") == [0.2, 1.0, 0.0, 0.75]


def test_spanish_salesforce_report_with_its_footer():
    loaded = load("salesforce_opportunities_es.csv", "salesforce_opportunities")
    assert counts(loaded) == (4, 4, 0, 5)
    assert values(loaded, "stage") == ["qualification", "won", "lost", "negotiation"]
    assert values(loaded, "status") == ["open", "won", "lost", "open"]
    # Nuevo cliente, Renovación, Nuevo cliente, Cliente existente - Actualización
    assert values(loaded, "deal_type") == ["new", "renewal", "new", "upsell"]
    assert values(loaded, "amount") == [12500.0, 9900.0, 2000.0, 30000.0]  # 12.500,00 €
    assert values(loaded, "closed_at") == stamps(None, "2025-03-23", "2025-03-18", None)
    assert values(loaded, "deal_id")[3] == "0065g00000EsA04"
    assert values(loaded, "owner")[0] == "Lucía García"


def test_german_salesforce_lead_report():
    loaded = load("salesforce_leads_de.csv", "salesforce_leads")
    assert counts(loaded) == (3, 3, 0, 0)
    assert values(loaded, "lead_id")[0] == "00Q5g00000DeL01"
    assert values(loaded, "quality") == ["hot", "warm", "cold"]  # Heiß, Warm, Kalt
    assert values(loaded, "converted") == [False, True, False]
    assert values(loaded, "converted_at") == stamps(None, "2025-03-23", None)
    assert values(loaded, "created_at") == stamps("2025-01-13", "2025-02-04", "2025-01-20")
    assert values(loaded, "status")[1] == "Geschlossen - Konvertiert"  # kept as exported
    assert values(loaded, "owner") == ["Jonas Weber", "Jonas Weber", "Lena Fischer"]
    assert values(loaded, "source") == ["Web", "Messe", None]
    assert values(loaded, "company")[1] == "Süd AG"


def test_french_hubspot_view_resaved_by_a_french_excel():
    loaded = load("hubspot_deals_fr.csv", "hubspot_deals")
    assert counts(loaded) == (4, 4, 0, 0)
    assert values(loaded, "deal_id") == ["21001", "21002", "21003", "21004"]
    assert values(loaded, "stage_raw") == [
        "Rendez-vous programmé",
        "Fermé gagné",
        "Fermé perdu",
        "Contrat envoyé",
    ]
    assert values(loaded, "stage") == ["prospecting", "won", "lost", "negotiation"]
    # no Is Closed Won column: the stage decides
    assert values(loaded, "status") == ["open", "won", "lost", "open"]
    assert values(loaded, "deal_type") == ["new", "expansion", "new", None]
    assert values(loaded, "amount") == [12500.0, 4800.0, 900.0, 31000.0]
    assert values(loaded, "currency") == ["EUR"] * 4
    assert values(loaded, "closed_at") == stamps(None, "2025-03-23 16:40", "2025-03-14 11:05", None)
    assert values(loaded, "expected_close_at")[0] == pd.Timestamp("2025-06-30")
    assert values(loaded, "created_at") == stamps(
        "2025-03-23 09:15", "2025-02-12 10:00", "2025-01-20 14:30", "2025-03-01 08:45"
    )
    assert values(loaded, "owner") == [
        "Claire Martin",
        "Hugo Bernard",
        "Hugo Bernard",
        "Claire Martin",
    ]
    assert values(loaded, "deal_name")[0] == "Acme - abonnement"
