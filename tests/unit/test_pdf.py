import pytest

from patentdesk import pdf


def test_cjk_font_is_embedded():
    try:
        pdf.find_cjk_font()
    except pdf.FontMissing:
        pytest.skip("fonts-wqy-zenhei is not installed")
    data = pdf.render_document(
        "电子申请回执", [("申请号", "202610000001.5")], ["一种折叠式电动自行车"]
    )
    assert data.startswith(b"%PDF")
    # An embedded TrueType subset shows up as a FontFile2 stream.
    assert b"FontFile2" in data
    assert pdf.render_document("电子申请回执") == pdf.render_document("电子申请回执")
