def test_health_names_the_environment(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["environment"] == "test"
    assert r.headers["X-PatentDesk-Environment"] == "test"
