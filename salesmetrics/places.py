"""Place names: US states, Canadian provinces and countries, with their codes.

`mappings infer` reads a column whose values are mostly these as a location (an address's
state, a billing country), never as a deal's stage or status, whatever its header says.
Names are compared folded (lower case, accents and punctuation dropped).
"""

from __future__ import annotations

US_STATES = (
    "Alabama AL|Alaska AK|Arizona AZ|Arkansas AR|California CA|Colorado CO|Connecticut CT|"
    "Delaware DE|District of Columbia DC|Florida FL|Georgia GA|Hawaii HI|Idaho ID|Illinois IL|"
    "Indiana IN|Iowa IA|Kansas KS|Kentucky KY|Louisiana LA|Maine ME|Maryland MD|"
    "Massachusetts MA|Michigan MI|Minnesota MN|Mississippi MS|Missouri MO|Montana MT|"
    "Nebraska NE|Nevada NV|New Hampshire NH|New Jersey NJ|New Mexico NM|New York NY|"
    "North Carolina NC|North Dakota ND|Ohio OH|Oklahoma OK|Oregon OR|Pennsylvania PA|"
    "Rhode Island RI|South Carolina SC|South Dakota SD|Tennessee TN|Texas TX|Utah UT|"
    "Vermont VT|Virginia VA|Washington WA|West Virginia WV|Wisconsin WI|Wyoming WY|"
    "Puerto Rico PR|Guam GU"
)
"""Each state's name and its postal code."""

CA_PROVINCES = (
    "Alberta AB|British Columbia BC|Manitoba MB|New Brunswick NB|Newfoundland and Labrador NL|"
    "Nova Scotia NS|Ontario ON|Prince Edward Island PE|Quebec QC|Saskatchewan SK|"
    "Northwest Territories NT|Nunavut NU|Yukon YT"
)

COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|"
    "Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|"
    "Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|"
    "Cambodia|Cameroon|Canada|Cape Verde|Chad|Chile|China|Colombia|Congo|Costa Rica|Croatia|"
    "Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominican Republic|Ecuador|Egypt|"
    "El Salvador|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Germany|Ghana|"
    "Greece|Guatemala|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|"
    "Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|Kenya|"
    "Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|"
    "Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|Mauritania|"
    "Mauritius|Mexico|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|"
    "Nepal|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Macedonia|Norway|Oman|"
    "Pakistan|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|"
    "Romania|Russia|Rwanda|Saudi Arabia|Senegal|Serbia|Singapore|Slovakia|Slovenia|Somalia|"
    "South Africa|South Korea|Korea|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|"
    "Taiwan|Tajikistan|Tanzania|Thailand|Togo|Trinidad and Tobago|Tunisia|Turkey|Turkiye|"
    "Turkmenistan|Uganda|Ukraine|United Arab Emirates|UAE|United Kingdom|UK|Great Britain|"
    "England|Scotland|Wales|United States|United States of America|USA|US|America|Uruguay|"
    "Uzbekistan|Venezuela|Vietnam|Viet Nam|Yemen|Zambia|Zimbabwe|"
    # the names a localised export writes
    "Deutschland|Allemagne|Alemania|Germania|Frankreich|Francia|Espagne|Espana|Spanien|"
    "Italie|Italia|Italien|Belgique|Belgien|Suisse|Schweiz|Svizzera|Pays-Bas|Niederlande|"
    "Nederland|Osterreich|Royaume-Uni|Reino Unido|Vereinigtes Konigreich|Etats-Unis|"
    "Estados Unidos|Vereinigte Staaten|Brasil|Mexique|Japon"
)

ISO_COUNTRY_CODES = (
    "AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT BW BY BZ CH CI "
    "CL CM CN CO CR CU CV CY CZ DJ DK DM DO DZ EC EE EG ES ET FI FJ FR GA GB GD GE GH GM GN GQ "
    "GR GT GW GY HK HN HR HT HU IE IL IN IQ IR IS IT JM JO JP KE KG KH KM KN KP KR KW KZ LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD MG MK ML MM MN MR MT MU MV MW MX MY MZ NA NG NI NL NO NP "
    "NZ PE PG PH PK PL PT PY QA RO RS RU RW SA SE SG SI SK SL SN SO SR SV SY SZ TD TG TH TJ TN "
    "TR TT TW TZ UA UG UY UZ VE VN YE ZA ZM ZW"
)


def _names() -> frozenset[str]:
    found: set[str] = set()
    for table in (US_STATES, CA_PROVINCES):
        for entry in table.split("|"):
            name, code = entry.rsplit(" ", 1)
            found |= {fold_place(name), fold_place(code)}
    found |= {fold_place(n) for n in COUNTRIES.split("|")}
    found |= {fold_place(c) for c in ISO_COUNTRY_CODES.split()}
    return frozenset(found)


def fold_place(text: str) -> str:
    """`Québec` -> `quebec`, `N.Y.` -> `ny`, `New  York` -> `new york`."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    kept = "".join(ch if ch.isalnum() or ch == " " else " " if ch == "-" else "" for ch in plain)
    return " ".join(kept.casefold().split())


PLACES = _names()
"""Every state, province and country name and code, folded."""
